package dev.halibut.wire;

import java.io.IOException;

/**
 * A message could not be received because the runtime's memory for incomplete messages
 * ({@code HalibutLimits.incompleteMessageBudget}) stayed taken by other connections for as long as this one
 * could wait. Not the peer's protocol error: the connection is closed, and a retry later may succeed.
 */
public final class MessageBudgetExceededException extends IOException {
    private static final long serialVersionUID = 1L;

    public MessageBudgetExceededException(String message) {
        super(message);
    }
}
