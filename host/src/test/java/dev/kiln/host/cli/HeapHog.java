package dev.kiln.host.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by {@link LauncherTest}: a background loop that runs the heap out of memory
 * and, like Kiln's own loops, catches the Error and goes on. Exits 0 after three caught
 * OutOfMemoryErrors; a JVM started with {@code -XX:+ExitOnOutOfMemoryError} never gets there.
 */
public final class HeapHog {
    private HeapHog() {}

    public static void main(String[] args) throws Exception {
        int[] caught = {0};
        Thread loop =
                new Thread(
                        () -> {
                            while (caught[0] < 3) {
                                List<long[]> hog = new ArrayList<>();
                                try {
                                    while (true) {
                                        hog.add(new long[1 << 20]);
                                    }
                                } catch (Throwable e) { // what a surviving loop does
                                    hog = null;
                                    caught[0]++;
                                }
                            }
                        },
                        "hog");
        loop.start();
        loop.join();
        System.out.println("survived " + caught[0] + " OutOfMemoryErrors");
    }
}
