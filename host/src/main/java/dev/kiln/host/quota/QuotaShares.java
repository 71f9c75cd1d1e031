package dev.kiln.host.quota;

/**
 * Where a cluster node's part of each service's quota comes from (docs/adr/0058): the cluster
 * divides {@code maxInvocationsPerSecond} and {@code maxConcurrency} among its nodes by their
 * demand, and {@link ServiceAdmission} enforces this node's part instead of the whole figure. A
 * single node has none (it enforces the whole figure).
 */
public interface QuotaShares {
    /**
     * This node's part of {@code quota} for {@code service} now. Read on every admission of a
     * service with a quota: a memory read, never a network round trip.
     */
    Part part(String service, ServiceQuota quota);

    /**
     * This node's part: invocations per second (positive when the quota has a rate) and invocations
     * at once (from 0; meaningful when the quota has a concurrency).
     */
    record Part(double invocationsPerSecond, int concurrency) {}

    /**
     * What this node saw of one service with a quota since the last call of {@link
     * ServiceAdmission#demand}: what its share is weighed by.
     *
     * @param arrivals invocations admitted or refused by the quota
     * @param seconds the length of that interval
     * @param peakInFlight the most invocations in flight at once
     * @param inFlight invocations in flight now
     * @param concurrencyRefusals invocations refused at the concurrency share
     */
    record Demand(
            String service,
            ServiceQuota quota,
            long arrivals,
            double seconds,
            int peakInFlight,
            int inFlight,
            int concurrencyRefusals) {

        /** Invocations per second wanted: admitted and refused alike. */
        public double perSecond() {
            return seconds > 0 ? arrivals / seconds : 0;
        }

        /** Invocations at once wanted: the peak, plus the ones refused for want of a slot. */
        public int atOnce() {
            long wanted = (long) peakInFlight + concurrencyRefusals;
            int cap = quota.maxConcurrency() == null ? Integer.MAX_VALUE : quota.maxConcurrency();
            return (int) Math.min(cap, wanted);
        }

        /** Whether anything happened: a node reports only services with recent traffic. */
        public boolean active() {
            return arrivals > 0 || peakInFlight > 0 || inFlight > 0;
        }
    }
}
