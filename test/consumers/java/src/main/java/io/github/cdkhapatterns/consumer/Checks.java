package io.github.cdkhapatterns.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The assertions every consumer app makes, against test/consumers/expectations.json. Each check
 * prints nothing when it passes and a `java: FAIL ...` line when it fails; {@link #summarize} prints
 * the totals.
 */
final class Checks {

    /** A check body: returns normally when it passes, throws (any exception) when it fails. */
    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ASSET_KEY = Pattern.compile("^([0-9a-f]{64})\\.zip$");

    private final Path expectationsFile;
    private final JsonNode expectations;
    private int passed;
    private final List<String> failures = new ArrayList<>();

    Checks(Path expectationsFile) throws IOException {
        this.expectationsFile = expectationsFile;
        this.expectations = JSON.readTree(expectationsFile.toFile());
    }

    /** Runs one check; returns whether it passed. */
    boolean check(String name, Body body) {
        try {
            body.run();
            passed++;
            return true;
        } catch (Exception | AssertionError e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            failures.add(name);
            System.out.println("java: FAIL " + name + ": " + message.strip());
            return false;
        }
    }

    /** Prints `java: N passed, M failed`; returns whether everything passed. */
    boolean summarize() {
        System.out.printf("java: %d passed, %d failed%n", passed, failures.size());
        return failures.isEmpty();
    }

    void expectUnitNames(List<String> built) {
        Set<String> listed = new TreeSet<>();
        expectations.path("units").fieldNames().forEachRemaining(listed::add);
        if (!listed.equals(new TreeSet<>(built))) {
            throw new AssertionError(expectationsFile + " lists units " + listed + ", the app builds " + built);
        }
    }

    /** (a) validation-report.json, when synthesis wrote one, lists no violation. */
    void expectCleanValidationReport(String unit, Path outdir) {
        check(unit + ": validation-report.json has no violations", () -> {
            Path report = outdir.resolve("validation-report.json");
            if (!Files.exists(report)) {
                return;
            }
            List<String> found = new ArrayList<>();
            for (JsonNode plugin : JSON.readTree(report.toFile()).path("pluginReports")) {
                for (JsonNode violation : plugin.path("violations")) {
                    List<String> paths = new ArrayList<>();
                    for (JsonNode construct : violation.path("violatingConstructs")) {
                        paths.add(construct.path("constructPath").asText("(unknown)"));
                    }
                    found.add("[" + plugin.path("pluginName").asText() + "] " + violation.path("ruleName").asText()
                        + " " + paths + ": " + violation.path("description").asText());
                }
            }
            if (!found.isEmpty()) {
                throw new AssertionError(found.size() + " violation(s) in " + report + ":\n  "
                    + String.join("\n  ", found));
            }
        });
    }

    /** (b) resource counts per stack and type, (c) Lambda functions and their staged assets. */
    void expectUnit(String unit, Path outdir) {
        JsonNode expected = expectations.path("units").path(unit);
        if (expected.isMissingNode()) {
            check(unit + ": listed in expectations.json", () -> {
                throw new AssertionError(expectationsFile + " has no units." + unit);
            });
            return;
        }

        Set<String> expectedStacks = new TreeSet<>();
        expected.path("stacks").fieldNames().forEachRemaining(expectedStacks::add);
        check(unit + ": synthesizes exactly the stacks " + expectedStacks, () -> {
            Set<String> actual = new TreeSet<>();
            try (Stream<Path> files = Files.list(outdir)) {
                files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".template.json"))
                    .forEach(n -> actual.add(n.substring(0, n.length() - ".template.json".length())));
            }
            if (!actual.equals(expectedStacks)) {
                throw new AssertionError("cdk.out has templates for " + actual);
            }
        });

        Map<String, JsonNode> functions = new TreeMap<>(); // "Stack/LogicalId" -> resource
        for (String stack : expectedStacks) {
            Map<String, Integer> want = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : expected.path("stacks").path(stack).properties()) {
                want.put(e.getKey(), e.getValue().asInt());
            }
            check(unit + ": " + stack + " resource counts per type", () -> {
                JsonNode resources = readTemplate(outdir, stack).path("Resources");
                Map<String, Integer> got = new TreeMap<>();
                for (Map.Entry<String, JsonNode> resource : resources.properties()) {
                    String type = resource.getValue().path("Type").asText();
                    got.merge(type, 1, Integer::sum);
                    if (type.equals("AWS::Lambda::Function")) {
                        functions.put(stack + "/" + resource.getKey(), resource.getValue());
                    }
                }
                if (!got.equals(want)) {
                    throw new AssertionError(describeDifference(want, got));
                }
            });
        }

        int wantFunctions = expected.path("lambdaFunctions").asInt(-1);
        check(unit + ": " + wantFunctions + " Lambda function(s)", () -> {
            if (functions.size() != wantFunctions) {
                throw new AssertionError("the templates hold " + functions.size() + " AWS::Lambda::Function");
            }
        });
        for (Map.Entry<String, JsonNode> entry : functions.entrySet()) {
            JsonNode key = entry.getValue().path("Properties").path("Code").path("S3Key");
            Matcher m = ASSET_KEY.matcher(key.isTextual() ? key.asText() : "");
            if (!m.matches()) {
                continue;
            }
            String hash = m.group(1);
            String stack = entry.getKey().substring(0, entry.getKey().indexOf('/'));
            check(unit + ": handler asset " + hash.substring(0, 12) + "... is staged", () -> {
                Path asset = stagedAsset(outdir, stack, hash);
                if (!Files.isDirectory(asset)) {
                    throw new AssertionError(asset + " is not a directory");
                }
                try (Stream<Path> files = Files.walk(asset)) {
                    if (files.noneMatch(Files::isRegularFile)) {
                        throw new AssertionError(asset + " holds no file");
                    }
                }
            });
        }
    }

    /**
     * Where cdk.out holds the asset with this hash: <Stack>.assets.json says (source.path). The
     * directory is asset.<hash>, plus the source's extension when it has one: the handlers this
     * library bundles come from directories named *.lambda, staged as asset.<hash>.lambda.
     */
    private static Path stagedAsset(Path outdir, String stack, String hash) throws IOException {
        Path manifest = outdir.resolve(stack + ".assets.json");
        JsonNode source = JSON.readTree(manifest.toFile()).path("files").path(hash).path("source");
        if (!source.path("path").isTextual()) {
            throw new AssertionError(manifest + " lists no file asset " + hash);
        }
        if (!"zip".equals(source.path("packaging").asText())) {
            throw new AssertionError(manifest + ": asset " + hash + " is packaged as "
                + source.path("packaging").asText() + ", not zip");
        }
        Path asset = outdir.resolve(source.path("path").asText()).normalize();
        String name = asset.getFileName().toString();
        if (!asset.getParent().equals(outdir.normalize())
            || !(name.equals("asset." + hash) || name.startsWith("asset." + hash + "."))) {
            throw new AssertionError(manifest + " stages asset " + hash + " at " + asset
                + ", not " + outdir.resolve("asset." + hash) + "[.ext]");
        }
        return asset;
    }

    /** Runs the build, which must throw; checks its message quotes every badInput.messageContains. */
    String expectRefused(Runnable build) {
        String message;
        try {
            build.run();
            throw new AssertionError("the construct accepted minCapacity " + badInputInt("minCapacity")
                + " > maxCapacity " + badInputInt("maxCapacity"));
        } catch (RuntimeException e) {
            message = String.valueOf(e.getMessage());
        }
        for (JsonNode wanted : expectations.path("badInput").path("messageContains")) {
            if (!message.contains(wanted.asText())) {
                throw new AssertionError("the message does not contain \"" + wanted.asText() + "\": " + message);
            }
        }
        return message;
    }

    int badInputInt(String field) {
        JsonNode value = expectations.path("badInput").path(field);
        if (!value.isInt()) {
            throw new IllegalStateException(expectationsFile + " has no integer badInput." + field);
        }
        return value.asInt();
    }

    private static JsonNode readTemplate(Path outdir, String stack) {
        Path template = outdir.resolve(stack + ".template.json");
        if (!Files.exists(template)) {
            throw new AssertionError(template + " does not exist");
        }
        try {
            return JSON.readTree(template.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describeDifference(Map<String, Integer> want, Map<String, Integer> got) {
        Set<String> types = new TreeSet<>(want.keySet());
        types.addAll(got.keySet());
        List<String> lines = new ArrayList<>();
        for (String type : types) {
            Integer w = want.get(type);
            Integer g = got.get(type);
            if (!Objects.equals(w, g)) {
                lines.add(type + ": expected " + (w == null ? "none" : w) + ", got " + (g == null ? "none" : g));
            }
        }
        return String.join("; ", lines);
    }
}
