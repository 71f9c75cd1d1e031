package dev.kiln.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium under Debian's chromedriver. Both are found at fixed paths and never
 * downloaded (Selenium Manager is not asked: the driver's path is given). In CI ({@code CI=true},
 * or {@code KILN_REQUIRE_CHROMIUM} set) a missing browser fails the test; elsewhere it skips it.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration WAIT = Duration.ofSeconds(30);
    static final int MAX_SCREENSHOT_HEIGHT = 2400;

    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** A browser, or the test aborted (or failed in CI) when Chromium is not installed. */
    static Browser start() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if ("true".equals(System.getenv("CI")) || System.getenv("KILN_REQUIRE_CHROMIUM") != null) {
            assertThat(present)
                    .as(
                            "%s and %s (apt-get install chromium chromium-driver; .ci/run does)",
                            CHROMIUM, CHROMEDRIVER)
                    .isTrue();
        }
        assumeTrue(present, "chromium and chromium-driver are not installed");
        try {
            Path profile = Files.createTempDirectory("kiln-console-chromium");
            var options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments(
                    "--headless=new",
                    // Tests run as root in CI, where Chromium's sandbox cannot start.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-extensions",
                    "--lang=en-GB",
                    "--user-data-dir=" + profile,
                    "--window-size=1280,900");
            var service =
                    new ChromeDriverService.Builder()
                            .usingDriverExecutable(CHROMEDRIVER.toFile())
                            .usingAnyFreePort()
                            .build();
            return new Browser(new ChromeDriver(service, options), profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ChromeDriver driver() {
        return driver;
    }

    WebDriverWait waiting() {
        return new WebDriverWait(driver, WAIT);
    }

    void size(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
    }

    /**
     * Writes a PNG of the whole page (up to {@value #MAX_SCREENSHOT_HEIGHT} pixels tall) to {@code
     * file}: the window grows to the page's height for the picture, then returns to its size.
     */
    void fullPageScreenshot(Path file) {
        Dimension before = driver.manage().window().getSize();
        long page =
                ((Number)
                                driver.executeScript(
                                        "return document.documentElement.scrollHeight"
                                                + " + (window.outerHeight - window.innerHeight)"))
                        .longValue();
        int height = (int) Math.min(MAX_SCREENSHOT_HEIGHT, Math.max(before.getHeight(), page));
        size(before.getWidth(), height);
        try {
            screenshot(file);
        } finally {
            size(before.getWidth(), before.getHeight());
        }
    }

    /** Writes a PNG of the window to {@code file}. */
    void screenshot(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temporary profile left behind is only disk space.
            }
        }
    }
}
