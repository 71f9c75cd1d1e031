package dev.kiln.host.quota;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Divides a quota's figure among the nodes of a cluster by their demand (docs/adr/0058). A pure
 * function of its inputs, so every node computes the same division from the same reports, and the
 * parts add up to the figure.
 *
 * <p>A small reserve ({@link #RESERVE} of the figure) is split evenly, so a node without demand can
 * still admit its first calls; the rest is divided max-min fair ("water-filling"): no node gets
 * more than it asked for while another gets less than an even split, and what the nodes did not ask
 * for is split evenly among the nodes that asked for something (among all when none did), so they
 * can grow into it before the next report while an idle or dead node holds only its reserve.
 */
public final class FairShares {
    /** The part of a figure split evenly whatever the demand. */
    public static final double RESERVE = 0.10;

    private FairShares() {}

    /**
     * Each node's part of {@code figure}, in the order of {@code demand}; they add up to {@code
     * figure} (within rounding).
     *
     * @param demand what each node wants, in the figure's unit, non-negative
     */
    public static double[] divide(double figure, double[] demand) {
        int n = demand.length;
        double[] out = new double[n];
        if (n == 0) {
            return out;
        }
        double floor = figure * RESERVE / n;
        double left = figure - floor * n;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> demand[i]));
        for (int k = 0; k < n; k++) {
            int i = order[k];
            double even = left / (n - k);
            double given = Math.min(Math.max(0, demand[i]), even);
            out[i] = given;
            left -= given;
        }
        // What nobody asked for goes to the nodes that asked for something (to all when none did):
        // a node without demand, an idle or a dead one, holds only its reserve.
        int asking = 0;
        for (double d : demand) {
            asking += d > 0 ? 1 : 0;
        }
        double spare = left / (asking == 0 ? n : asking);
        for (int i = 0; i < n; i++) {
            out[i] += floor + (asking == 0 || demand[i] > 0 ? spare : 0);
        }
        return out;
    }

    /**
     * Each node's whole number of slots of {@code figure} invocations at once: {@link #divide},
     * then the largest remainders get the slots left (ties to the lower index, so every node gives
     * the same answer); the slots add up to {@code figure}.
     */
    public static int[] slots(int figure, double[] demand) {
        double[] parts = divide(figure, demand);
        int n = parts.length;
        int[] out = new int[n];
        int given = 0;
        for (int i = 0; i < n; i++) {
            out[i] = (int) Math.floor(parts[i]);
            given += out[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(
                order,
                Comparator.comparingDouble((Integer i) -> -(parts[i] - out[i]))
                        .thenComparingInt(i -> i));
        for (int k = 0; given < figure && k < n; k++) {
            out[order[k]]++;
            given++;
        }
        return out;
    }
}
