package dev.kiln.host.cluster;

import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import java.util.function.Consumer;

/**
 * What the HTTP layer asks of the cluster for a synchronous invocation (docs/adr/0056): a result
 * refused here for want of capacity goes to a node with room instead of to the client. Imports
 * nothing of NATS, so the embedded node never loads the client; the embedded node has none.
 */
public interface Overflow {
    /**
     * The answer to hand the {@code Invoker} for {@code request}: it passes a result of this node
     * on (naming this node), and forwards a {@linkplain InvocationResult#refusedForCapacity()
     * refusal for capacity} to another node, answering with that node's result.
     *
     * @param arrivedNanos when the request arrived ({@link System#nanoTime()}): its budget of
     *     queueWait plus the function's timeout counts from there, forwarded or not
     */
    Consumer<InvocationResult> answerOrForward(
            InvocationRequest request, long arrivedNanos, Consumer<InvocationResult> answer);
}
