// Test fixture: no handler export.
export const greeting = "hi";
