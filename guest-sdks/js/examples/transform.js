// transform: reshapes a JSON document. In: {"users": [{"first": "Ada", "last": "Lovelace",
// "email": "ADA@Example.org", "active": true}, ...]}
// Out: {"count": 1, "users": [{"name": "Ada Lovelace", "email": "ada@example.org"}]}: active users
// only, sorted by name, emails lower-cased. Over HTTP it answers with a status and headers;
// a body that is not such a document is a 400 the function chooses, not an error.
export function handler(event, context) {
  let doc;
  try {
    doc = JSON.parse(event);
  } catch (e) {
    return { status: 400, headers: { "content-type": "text/plain" }, body: `not JSON: ${e.message}\n` };
  }
  if (!doc || !Array.isArray(doc.users)) {
    return { status: 400, headers: { "content-type": "text/plain" }, body: "expected {\"users\": [...]}\n" };
  }
  const users = doc.users
    .filter((u) => u.active !== false)
    .map((u) => ({ name: `${u.first ?? ""} ${u.last ?? ""}`.trim(), email: String(u.email ?? "").toLowerCase() }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    status: 200,
    headers: { "content-type": "application/json", "x-transform": "users-v1" },
    body: { count: users.length, users },
  };
}
