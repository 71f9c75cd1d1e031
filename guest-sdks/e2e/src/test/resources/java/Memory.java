import java.util.ArrayList;
import java.util.List;

// Test fixture: allocates until the memory cap; "ok" answers at once.
public class Memory {
    public String handle(String event) {
        if (event.equals("ok")) {
            return "still serving";
        }
        List<byte[]> keep = new ArrayList<>();
        while (true) {
            keep.add(new byte[1 << 20]);
        }
    }
}
