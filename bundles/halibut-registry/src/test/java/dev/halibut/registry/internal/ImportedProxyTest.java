package dev.halibut.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.HalibutClientException;
import dev.halibut.ServiceInvocationException;
import dev.halibut.ServiceNotFoundException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceException;
import org.osgi.util.promise.Promise;

/** The imported proxy's error and async rules, over a stand-in for the runtime's client. */
class ImportedProxyTest {

    public interface Contract {
        int call();

        CompletionStage<Integer> stage();

        Promise<Integer> promise();
    }

    private final AtomicInteger gone = new AtomicInteger();

    /** A proxy whose runtime client answers every call with {@code handler}. */
    private Contract proxy(InvocationHandler handler) {
        Object client = Proxy.newProxyInstance(Contract.class.getClassLoader(), new Class<?>[] {Contract.class}, handler);
        return (Contract) ImportedProxy.create(List.of(Contract.class), c -> client, "test import", gone::incrementAndGet);
    }

    @Test
    void aTransportFailureIsAServiceExceptionOfTypeRemoteWithTheHalibutExceptionAsCause() {
        HalibutClientException failure = new HalibutClientException("Call to X.call at https://h:1/: connection refused");
        Contract c = proxy((p, m, a) -> {
            throw failure;
        });
        assertThatThrownBy(c::call).isInstanceOfSatisfying(ServiceException.class, e -> {
            assertThat(e.getType()).isEqualTo(ServiceException.REMOTE);
            assertThat(e.getCause()).isSameAs(failure);
            assertThat(e.getMessage()).contains("connection refused");
        });
        assertThat(gone).hasValue(0);
    }

    @Test
    void whatTheRemoteServiceThrewPassesUnchanged() {
        ServiceInvocationException remote = new ServiceInvocationException("X.call threw java.lang.IllegalStateException",
                "java.lang.IllegalStateException", "no", "");
        assertThatThrownBy(proxy((p, m, a) -> {
            throw remote;
        })::call).isSameAs(remote);
        IllegalArgumentException declared = new IllegalArgumentException("declared");
        assertThatThrownBy(proxy((p, m, a) -> {
            throw declared;
        })::call).isSameAs(declared);
    }

    @Test
    void aServiceGoneIsRemoteAndMakesTheImportLookAgain() {
        Contract c = proxy((p, m, a) -> {
            throw new ServiceNotFoundException("X.call at https://h:1/: Service 'X' is not registered");
        });
        assertThatThrownBy(c::call).isInstanceOf(ServiceException.class);
        assertThat(gone).hasValue(1);
    }

    @Test
    void aPromiseResolvesWithTheRemoteValueOrFailsWithTheTranslatedFailure() throws Exception {
        CompletableFuture<Object> call = new CompletableFuture<>();
        Promise<Integer> promise = proxy((p, m, a) -> call).promise();
        assertThat(promise.isDone()).isFalse();
        call.complete(7);
        assertThat(promise.getValue()).isEqualTo(7);

        HalibutClientException failure = new HalibutClientException("not collected");
        Promise<Integer> failing = proxy((p, m, a) -> CompletableFuture.failedFuture(failure)).promise();
        assertThat(failing.getFailure()).isInstanceOf(ServiceException.class).hasCause(failure);
    }

    @Test
    void aCompletionStageFailsWithTheTranslatedFailure() {
        HalibutClientException failure = new HalibutClientException("connection refused");
        CompletionStage<Integer> stage = proxy((p, m, a) -> CompletableFuture.failedFuture(failure)).stage();
        assertThatThrownBy(() -> stage.toCompletableFuture().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(ServiceException.class).hasCause(failure);
    }
}
