// Test fixture: does not parse, so kiln_init fails and the upload is refused.
export function handler(event {
