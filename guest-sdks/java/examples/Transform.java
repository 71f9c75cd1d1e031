import com.eclipsesource.json.Json;
import com.eclipsesource.json.JsonArray;
import com.eclipsesource.json.JsonObject;
import com.eclipsesource.json.JsonValue;
import com.eclipsesource.json.ParseException;
import dev.kiln.guest.Context;
import dev.kiln.guest.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * transform: reshapes a JSON document. In: {"users": [{"first": "Ada", "last": "Lovelace",
 * "email": "ADA@Example.org", "active": true}, ...]}
 * Out: {"count": 1, "users": [{"name": "Ada Lovelace", "email": "ada@example.org"}]}: active users
 * only, sorted by name, emails lower-cased. Over HTTP it answers with a status and headers; a body
 * that is not such a document is a 400 the function chooses, not an error. JSON with minimal-json.
 */
public class Transform {
    public Response handle(String event, Context context) {
        JsonValue doc;
        try {
            doc = Json.parse(event);
        } catch (ParseException e) {
            return Response.status(400).header("content-type", "text/plain")
                    .body("not JSON: " + e.getMessage() + "\n");
        }
        JsonValue users = doc.isObject() ? doc.asObject().get("users") : null;
        if (users == null || !users.isArray()) {
            return Response.status(400).header("content-type", "text/plain")
                    .body("expected {\"users\": [...]}\n");
        }
        List<String[]> out = new ArrayList<>();
        for (JsonValue u : users.asArray()) {
            if (!u.isObject()) {
                continue;
            }
            JsonObject user = u.asObject();
            if (user.get("active") != null && user.get("active").isFalse()) {
                continue;
            }
            String name = (user.getString("first", "") + " " + user.getString("last", "")).trim();
            out.add(new String[] {name, user.getString("email", "").toLowerCase()});
        }
        out.sort((a, b) -> a[0].compareTo(b[0]));
        JsonArray list = new JsonArray();
        for (String[] u : out) {
            list.add(Json.object().add("name", u[0]).add("email", u[1]));
        }
        return Response.status(200)
                .header("content-type", "application/json")
                .header("x-transform", "users-v1")
                .body(Json.object().add("count", out.size()).add("users", list).toString());
    }
}
