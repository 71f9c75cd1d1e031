// Test fixture: a thrown exception, from a named method so the stack can name it.
public class Throws {
    public String handle(String event) {
        System.out.println("about to fail");
        return checkPayment(event);
    }

    static String checkPayment(String event) {
        if (event.equals("again")) {
            return "payment " + event + " accepted";
        }
        if (event.equals("cause")) {
            try {
                Integer.parseInt("x" + event);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("payment amount unreadable", e);
            }
        }
        throw new IllegalStateException("payment " + event + " declined");
    }
}
