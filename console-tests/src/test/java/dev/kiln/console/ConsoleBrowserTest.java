package dev.kiln.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The web console (docs/adr/0046) in real headless Chromium against a real host on port 0: a wrong
 * key is refused with the API's error; with the admin key, a module uploaded through the file
 * picker is invoked from the console, its record and its log line appear (in the list, the record's
 * detail and the live log stream), and the metrics chart draws the invocations. The run writes
 * screenshots of the main pages to {@code docs/console/}.
 */
@Tag("slow") // a browser in processes of its own
class ConsoleBrowserTest {
    private static final String TOKEN = "console-test-admin-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir static Path data;
    @TempDir static Path files;

    private static KilnHost host;
    private static Browser browser;
    private static Path logger;

    @BeforeAll
    static void start() throws IOException {
        browser = Browser.start();
        host = KilnHost.start(KilnConfig.builder().port(0).dataDir(data).adminToken(TOKEN).build());
        // logger.wat (host's test fixture): the payload's first byte is a log level digit, the
        // rest is logged and the payload returned; a payload starting with 'x' fails.
        logger = files.resolve("logger.wasm");
        Files.write(
                logger,
                Wat2Wasm.parse(
                        Files.readString(
                                repository().resolve("host/src/test/resources/wat/logger.wat"))));
        // Another function, deployed with the API, so the list has more than one service.
        byte[] hello =
                Wat2Wasm.parse(
                        Files.readString(
                                repository().resolve("guest-sdks/examples/wat/hello.wat")));
        assertThat(
                        api(
                                        "PUT",
                                        "/api/v1/services/billing/functions/hello",
                                        "application/wasm",
                                        hello)
                                .statusCode())
                .isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void aWrongKeyIsRefusedWithTheApisErrorAndTheLoginPageStays() {
        open("/console/");
        signOutIfSignedIn();
        var d = browser.driver();
        browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("key")));
        d.findElement(By.id("key")).sendKeys("not-a-key");
        d.findElement(By.id("login-button")).click();
        WebElement error =
                browser.waiting()
                        .until(
                                ExpectedConditions.visibilityOfElementLocated(
                                        By.cssSelector(".error")));
        assertThat(error.getText()).contains("unauthorized");
        assertThat(d.getCurrentUrl()).endsWith("#/login");
        assertThat(storedKey()).isNull();
        browser.fullPageScreenshot(docs("login.png"));
    }

    @Test
    void uploadInvokeAndSeeTheRecordItsLogsAndTheChart() {
        signIn();
        var d = browser.driver();

        // Deploy through the file picker on the functions page.
        click(By.id("deploy-open"));
        d.findElement(By.id("deploy-service")).sendKeys("shop");
        d.findElement(By.id("deploy-name")).sendKeys("logger");
        d.findElement(By.id("deploy-file")).sendKeys(logger.toString());
        click(By.id("deploy-button"));
        browser.waiting().until(ExpectedConditions.urlContains("#/functions/shop/logger"));
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.cssSelector(".fn-meta"), "v1"));
        assertThat(
                        api(
                                        "PUT",
                                        "/api/v1/services/shop/functions/logger/aliases/live",
                                        "application/json",
                                        "{\"version\":1}".getBytes(StandardCharsets.UTF_8))
                                .statusCode())
                .isEqualTo(201);

        // A second version through the function page's own picker.
        d.findElement(By.id("upload-file")).sendKeys(logger.toString());
        click(By.id("upload-button"));
        // Identical code and settings make no new version: the API answers with v1 again.
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("upload-result"), "Deployed v1"));

        // Settings: edit the description with PATCH.
        WebElement description = d.findElement(By.name("description"));
        description.clear();
        description.sendKeys("logs its payload");
        click(By.id("save-settings"));
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.cssSelector("#settings-form .status"), "Saved: description"));
        // Reloaded, the page shows the alias the API made meanwhile.
        browser.driver().navigate().refresh();
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("aliases"), "live"));
        browser.fullPageScreenshot(docs("function-overview.png"));

        // Invoke from the console; the answer shows its status, headers and body.
        click(By.cssSelector("[data-tab=invoke]"));
        WebElement payload =
                browser.waiting()
                        .until(ExpectedConditions.elementToBeClickable(By.id("invoke-payload")));
        payload.sendKeys("1hello from the console");
        click(By.id("invoke-button"));
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("invoke-status"), "200"));
        assertThat(d.findElement(By.id("invoke-body")).getText())
                .isEqualTo("1hello from the console");
        assertThat(d.findElement(By.id("invoke-headers")).getText())
                .contains("x-kiln-request-id")
                .contains("x-kiln-version")
                .contains("x-kiln-start");
        String requestId =
                d.findElement(
                                By.xpath(
                                        "//table[@id='invoke-headers']//th[text()='x-kiln-request-id']/following-sibling::td"))
                        .getText();
        assertThat(requestId).isNotBlank();
        browser.fullPageScreenshot(docs("function-invoke.png"));
        // A failing invocation too, for the outcome filter.
        payload.clear();
        payload.sendKeys("xbroken");
        click(By.id("invoke-button"));
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("invoke-status"), "500"));
        assertThat(d.findElement(By.id("invoke-body")).getText()).contains("guest_error");

        // Live logs: the stream (fetch + text/event-stream with the Bearer key) shows the line.
        click(By.cssSelector("[data-tab=logs]"));
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("logs-state"), "live"));
        browser.waiting()
                .until(
                        ExpectedConditions.presenceOfElementLocated(
                                By.cssSelector(
                                        "#logs .log-line[data-request-id='" + requestId + "']")));
        assertThat(d.findElement(By.id("logs")).getText()).contains("hello from the console");
        // A line logged while the page is open arrives too.
        invokeThroughApi("3late line");
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("logs"), "late line"));
        browser.fullPageScreenshot(docs("function-logs.png"));

        // The invocation list, with its outcome filter, and the record's detail with its logs.
        click(By.cssSelector("[data-tab=invocations]"));
        browser.waiting()
                .until(
                        ExpectedConditions.presenceOfElementLocated(
                                By.cssSelector(
                                        "#invocations-table tr[data-request-id='"
                                                + requestId
                                                + "']")));
        new Select(d.findElement(By.id("filter-outcome"))).selectByValue("errors");
        List<WebElement> shown = d.findElements(By.cssSelector("#invocations-table tbody tr"));
        assertThat(shown)
                .isNotEmpty()
                .allSatisfy(
                        r -> assertThat(r.getAttribute("data-outcome")).isEqualTo("guest_error"));
        new Select(d.findElement(By.id("filter-outcome"))).selectByValue("");
        browser.fullPageScreenshot(docs("invocations.png"));
        click(By.cssSelector("#invocations-table tr[data-request-id='" + requestId + "'] a"));
        browser.waiting()
                .until(ExpectedConditions.presenceOfElementLocated(By.id("invocation-detail")));
        assertThat(d.findElement(By.id("invocation-detail")).getText())
                .contains(requestId)
                .contains("ok");
        assertThat(d.findElement(By.id("invocation-logs")).getText())
                .containsIgnoringCase("info")
                .contains("hello from the console");
        browser.fullPageScreenshot(docs("invocation-detail.png"));

        // The chart draws the invocations from …/stats: uPlot holds points above zero.
        click(By.linkText("Metrics"));
        browser.waiting().until(d2 -> nonZeroPoints("chart-invocations") > 0);
        assertThat(nonZeroPoints("chart-invocations")).isGreaterThan(0);
        assertThat(d.findElements(By.cssSelector("#chart-invocations canvas"))).hasSize(1);
        assertThat(
                        js(
                                "return"
                                    + " document.querySelector('#chart-latency').uplot.data[1].filter(v"
                                    + " => v !== null).length"))
                .isInstanceOf(Long.class)
                .satisfies(n -> assertThat((Long) n).isGreaterThan(0));
        assertThat(d.findElement(By.id("metrics-totals")).getText()).contains("invocations");
        browser.fullPageScreenshot(docs("function-metrics.png"));

        // Async queue: an event that fails once is dead-lettered (maxAttempts 1); redrive it.
        assertThat(
                        api(
                                        "PUT",
                                        "/api/v1/services/shop/functions/logger/async-config",
                                        "application/json",
                                        "{\"maxAttempts\":1}".getBytes(StandardCharsets.UTF_8))
                                .statusCode())
                .isEqualTo(200);
        var queued =
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://127.0.0.1:"
                                                + host.port()
                                                + "/api/v1/services/shop/functions/logger/invoke"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .header("X-Kiln-Invocation-Type", "async")
                        .POST(HttpRequest.BodyPublishers.ofString("xfails once"))
                        .build();
        assertThat(send(queued).statusCode()).isEqualTo(202);
        click(By.cssSelector("[data-tab=async]"));
        // The dead letter is written off the request path: reload the tab until it is listed.
        browser.waiting()
                .until(
                        d2 -> {
                            if (d2.findElements(By.cssSelector("#dead-letters tbody tr"))
                                    .isEmpty()) {
                                d2.navigate().refresh();
                                return false;
                            }
                            return true;
                        });
        assertThat(d.findElement(By.id("dead-letters")).getText()).contains("retries_exhausted");
        browser.fullPageScreenshot(docs("function-async.png"));
        click(By.id("redrive-all"));
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.cssSelector(".status"), "Queued again: 1"));

        // Triggers: add a timer through the form, then disable it.
        click(By.cssSelector("[data-tab=triggers]"));
        new Select(
                        browser.waiting()
                                .until(
                                        ExpectedConditions.elementToBeClickable(
                                                By.id("trigger-type"))))
                .selectByValue("timer");
        d.findElement(By.id("trigger-id")).sendKeys("nightly");
        d.findElement(By.id("trigger-spec")).sendKeys("0 3 * * *");
        click(By.cssSelector("form.row button[type=submit]"));
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("triggers"), "nightly"));
        click(By.xpath("//table[@id='triggers']//button[text()='Disable']"));
        browser.waiting()
                .until(
                        ExpectedConditions.presenceOfElementLocated(
                                By.xpath("//table[@id='triggers']//button[text()='Enable']")));

        // The functions list shows it, searchable.
        open("/console/#/functions");
        browser.waiting()
                .until(
                        ExpectedConditions.presenceOfElementLocated(
                                By.cssSelector("tr[data-function='shop/logger']")));
        assertThat(d.findElements(By.cssSelector("tr[data-function='billing/hello']"))).hasSize(1);
        // Aliases arrive after the list.
        browser.waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.cssSelector("tr[data-function='shop/logger']"), "live → v1"));
        browser.fullPageScreenshot(docs("functions.png"));
        d.findElement(By.id("search")).sendKeys("log");
        assertThat(d.findElements(By.cssSelector("tr[data-function='billing/hello']"))).isEmpty();
        assertThat(d.findElements(By.cssSelector("tr[data-function='shop/logger']"))).hasSize(1);

        // The host page reads /metrics and /api/v1/limits.
        open("/console/#/host");
        browser.waiting()
                .until(
                        ExpectedConditions.presenceOfElementLocated(
                                By.cssSelector("#instances tr a")));
        assertThat(d.findElement(By.id("host-figures")).getText())
                .contains("workers busy")
                .contains("memory budget");
        browser.fullPageScreenshot(docs("host.png"));

        // A narrow screen: one column, still usable.
        browser.size(390, 844);
        try {
            open("/console/#/functions/shop/logger/metrics");
            browser.waiting().until(d2 -> nonZeroPoints("chart-invocations") > 0);
            Long overflow =
                    (Long)
                            js(
                                    "return document.documentElement.scrollWidth -"
                                            + " document.documentElement.clientWidth");
            assertThat(overflow).as("no sideways scrolling of the page").isLessThanOrEqualTo(0L);
            browser.fullPageScreenshot(docs("narrow.png"));
        } finally {
            browser.size(1280, 900);
        }
    }

    private void signIn() {
        open("/console/");
        if (storedKey() != null) {
            return;
        }
        var d = browser.driver();
        browser.waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("key")));
        d.findElement(By.id("key")).sendKeys(TOKEN);
        d.findElement(By.id("login-button")).click();
        browser.waiting().until(ExpectedConditions.urlContains("#/functions"));
        assertThat(storedKey()).isEqualTo(TOKEN);
    }

    private void signOutIfSignedIn() {
        js("sessionStorage.clear(); location.hash = '#/login';");
    }

    private Object storedKey() {
        return js("return sessionStorage.getItem('kiln.key')");
    }

    private long nonZeroPoints(String chart) {
        Object n =
                js(
                        "const c = document.getElementById(arguments[0]); return c && c.uplot ?"
                                + " c.uplot.data[1].filter(v => v > 0).length : 0",
                        chart);
        return ((Number) n).longValue();
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser.driver()).executeScript(script, args);
    }

    private void click(By by) {
        browser.waiting().until(ExpectedConditions.elementToBeClickable(by)).click();
    }

    private void open(String path) {
        browser.driver().get("http://127.0.0.1:" + host.port() + path);
    }

    private void invokeThroughApi(String payload) {
        var r =
                api(
                        "POST",
                        "/api/v1/services/shop/functions/logger/invoke",
                        "application/octet-stream",
                        payload.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(200);
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A call to the API under the admin token, beside the browser. */
    private static HttpResponse<String> api(String method, String path, String type, byte[] body) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + host.port() + path))
                            .header("Authorization", "Bearer " + TOKEN)
                            .header("Content-Type", type)
                            .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path docs(String name) {
        return repository().resolve("docs/console").resolve(name);
    }

    /** The repository's root: surefire runs in {@code console-tests/}. */
    private static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("console-tests"))
                    && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new AssertionError("no repository root with console-tests/ above " + here);
    }
}
