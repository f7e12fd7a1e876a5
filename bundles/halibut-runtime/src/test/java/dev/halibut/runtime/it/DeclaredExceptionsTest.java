package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.halibut.ServiceInvocationException;
import dev.halibut.runtime.it.ModePair.Mode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An exception the contract method declares in its {@code throws} clause is re-created on the caller's side
 * (exact class name match, public constructor), with the remote message, and with the remote stack text kept
 * in the {@link ServiceInvocationException} that becomes its cause. Anything else stays a
 * {@link ServiceInvocationException}. Either way the service ran exactly once: a thrown exception is an
 * answer, never retried.
 */
class DeclaredExceptionsTest {

    public static class PaymentDeclinedException extends Exception {
        private static final long serialVersionUID = 1L;

        public PaymentDeclinedException(String message) {
            super(message);
        }
    }

    /** A subtype of a declared exception: not declared itself, so not re-created. */
    public static class CardExpiredException extends PaymentDeclinedException {
        private static final long serialVersionUID = 1L;

        public CardExpiredException(String message) {
            super(message);
        }
    }

    /** Unchecked, but named in a throws clause: re-created too. */
    public static class QuotaExceededException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public QuotaExceededException(String message) {
            super(message);
        }
    }

    /** Only a no-argument constructor. */
    public static class LedgerClosedException extends Exception {
        private static final long serialVersionUID = 1L;

        public LedgerClosedException() {
            super();
        }
    }

    /** Its constructor sets the cause (to nothing), so the remote details go in as suppressed. */
    public static class AuditFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        public AuditFailedException(String message) {
            super(message, null);
        }
    }

    public interface Payments {
        int charge(int amount) throws PaymentDeclinedException;

        CompletableFuture<Integer> chargeAsync(int amount);

        void reserve(int amount) throws QuotaExceededException;

        void close(String ledger) throws LedgerClosedException;

        void audit(String what) throws AuditFailedException;

        void fail(String message);
    }

    public static final class PaymentsService implements Payments {
        final AtomicInteger invocations = new AtomicInteger();

        @Override
        public int charge(int amount) throws PaymentDeclinedException {
            invocations.incrementAndGet();
            if (amount == 13) {
                throw new CardExpiredException("card expired");
            }
            if (amount == 7) {
                throw new IllegalArgumentException("seven is not accepted");
            }
            if (amount > 100) {
                throw new PaymentDeclinedException("insufficient funds for " + amount);
            }
            return amount;
        }

        @Override
        public CompletableFuture<Integer> chargeAsync(int amount) {
            throw new AssertionError("the service side never receives Async calls by that name");
        }

        @Override
        public void reserve(int amount) {
            invocations.incrementAndGet();
            throw new QuotaExceededException("quota of 10 exceeded by " + amount);
        }

        @Override
        public void close(String ledger) throws LedgerClosedException {
            invocations.incrementAndGet();
            throw new LedgerClosedException();
        }

        @Override
        public void audit(String what) throws AuditFailedException {
            invocations.incrementAndGet();
            throw new AuditFailedException("audit of " + what + " failed");
        }

        @Override
        public void fail(String message) {
            invocations.incrementAndGet();
            throw new IllegalStateException(message);
        }
    }

    private final PaymentsService service = new PaymentsService();

    @RegisterExtension
    final TestResources resources = new TestResources();

    private Payments payments(Mode mode) {
        return resources.modePair(mode, b -> b.service(Payments.class, service)).client(Payments.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDeclaredCheckedExceptionCanBeCaughtWithTheRemoteMessageAndStack(Mode mode) {
        Payments payments = payments(mode);
        String caught;
        try {
            payments.charge(500);
            caught = "nothing";
        } catch (PaymentDeclinedException e) {
            caught = e.getMessage();
            assertThat(e).isExactlyInstanceOf(PaymentDeclinedException.class);
            assertThat(e.getCause()).isInstanceOfSatisfying(ServiceInvocationException.class, remote -> {
                assertThat(remote.getRemoteType()).isEqualTo(PaymentDeclinedException.class.getName());
                assertThat(remote.getRemoteMessage()).isEqualTo("insufficient funds for 500");
                // The service host's stack trace text, naming the method that threw.
                assertThat(remote.getRemoteDetails()).contains("insufficient funds for 500")
                        .contains(PaymentsService.class.getName() + ".charge");
                assertThat(remote.getMessage()).contains("Payments.charge");
            });
        }
        assertThat(caught).isEqualTo("insufficient funds for 500");
        assertThat(service.invocations).hasValue(1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anAsyncMethodCompletesExceptionallyWithTheDeclaredExceptionOfItsSynchronousTwin(Mode mode) {
        Payments payments = payments(mode);
        CompletableFuture<Integer> charged = payments.chargeAsync(250);
        assertThatThrownBy(() -> charged.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isExactlyInstanceOf(PaymentDeclinedException.class)
                .hasMessage("insufficient funds for 250")
                .hasCauseInstanceOf(ServiceInvocationException.class);
        assertThat(service.invocations).hasValue(1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void uncheckedTypesNamedInTheThrowsClauseAreRecreatedToo(Mode mode) {
        Payments payments = payments(mode);
        assertThatThrownBy(() -> payments.reserve(12)).isExactlyInstanceOf(QuotaExceededException.class)
                .hasMessage("quota of 10 exceeded by 12").hasCauseInstanceOf(ServiceInvocationException.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aNoArgumentConstructorIsUsedWhenThereIsNoStringOne(Mode mode) {
        Payments payments = payments(mode);
        Throwable thrown = catchThrowable(() -> payments.close("2026"));
        assertThat(thrown).isExactlyInstanceOf(LedgerClosedException.class)
                .hasCauseInstanceOf(ServiceInvocationException.class);
        assertThat(((ServiceInvocationException) thrown.getCause()).getRemoteType())
                .isEqualTo(LedgerClosedException.class.getName());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void whenTheConstructorFixedTheCauseTheRemoteDetailsAreSuppressed(Mode mode) {
        Payments payments = payments(mode);
        Throwable thrown = catchThrowable(() -> payments.audit("march"));
        assertThat(thrown).isExactlyInstanceOf(AuditFailedException.class).hasMessage("audit of march failed")
                .hasNoCause();
        assertThat(thrown.getSuppressed()).singleElement().isInstanceOfSatisfying(ServiceInvocationException.class,
                remote -> assertThat(remote.getRemoteDetails()).contains(PaymentsService.class.getName() + ".audit"));
    }

    /** Only the exact declared class name is re-created: a subtype, or anything undeclared, is not. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void undeclaredTypesAndSubtypesStayServiceInvocationExceptions(Mode mode) throws PaymentDeclinedException {
        Payments payments = payments(mode);
        assertThatThrownBy(() -> payments.charge(13)).isExactlyInstanceOf(ServiceInvocationException.class)
                .satisfies(e -> assertThat(((ServiceInvocationException) e).getRemoteType())
                        .isEqualTo(CardExpiredException.class.getName()))
                .hasMessageContaining("card expired");
        assertThatThrownBy(() -> payments.charge(7)).isExactlyInstanceOf(ServiceInvocationException.class)
                .satisfies(e -> assertThat(((ServiceInvocationException) e).getRemoteType())
                        .isEqualTo(IllegalArgumentException.class.getName()));
        assertThat(payments.charge(42)).isEqualTo(42);
    }

    /**
     * The design's rule "the service throws: the error is returned and rethrown, no retry", counted: one call,
     * one invocation, whether the exception is re-created or not. A later call runs once more, so nothing of
     * the failed call was run again in between.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aServiceThatThrowsRunsExactlyOnceAndIsNotRetried(Mode mode) throws PaymentDeclinedException {
        Payments payments = payments(mode);
        assertThatThrownBy(() -> payments.fail("disk full")).isExactlyInstanceOf(ServiceInvocationException.class)
                .hasMessageContaining("disk full");
        assertThat(service.invocations).hasValue(1);
        assertThatThrownBy(() -> payments.charge(101)).isExactlyInstanceOf(PaymentDeclinedException.class);
        assertThat(service.invocations).hasValue(2);
        assertThat(payments.charge(5)).isEqualTo(5);
        assertThat(service.invocations).hasValue(3);
    }
}
