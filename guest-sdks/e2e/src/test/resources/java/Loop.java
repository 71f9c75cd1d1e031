// Test fixture: spins forever (fuel or the deadline must end it); "ok" answers at once.
public class Loop {
    static volatile long sink;

    public static String handle(String event) {
        if (event.equals("ok")) {
            return "still serving";
        }
        long n = 0;
        while (true) {
            sink = n++;
        }
    }
}
