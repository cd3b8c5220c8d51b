package io.github.cdkhapatterns.consumer;

import io.github.cdkhapatterns.AutoScalingGroupOptions;
import io.github.cdkhapatterns.BeanstalkEnvironmentPair;
import io.github.cdkhapatterns.BeanstalkPlatform;
import io.github.cdkhapatterns.DataVolumeOptions;
import io.github.cdkhapatterns.DetachableDatabase;
import io.github.cdkhapatterns.ElasticIpFailoverExperimentOptions;
import io.github.cdkhapatterns.ElasticIpFailoverInstance;
import io.github.cdkhapatterns.EnvironmentSlotOptions;
import io.github.cdkhapatterns.FailoverStrategy;
import io.github.cdkhapatterns.HealthProbe;
import io.github.cdkhapatterns.HighlyAvailableWebApp;
import io.github.cdkhapatterns.Slot;
import io.github.cdkhapatterns.SourceBundle;
import io.github.cdklabs.cdknag.AwsSolutionsChecks;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import software.amazon.awscdk.App;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Size;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Validations;
import software.amazon.awscdk.services.ec2.FlowLogOptions;
import software.amazon.awscdk.services.ec2.FlowLogTrafficType;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;

/**
 * The Java port of test/consumers/reference-app.ts: the same four units, stack names and props,
 * each synthesized into its own App with strict CloudFormation Validate and cdk-nag AwsSolutions,
 * then checked against test/consumers/expectations.json.
 *
 * <pre>
 * java -cp ... io.github.cdkhapatterns.consumer.ConsumerApp OUT_DIR WEB_BUNDLE_DIR EXPECTATIONS_JSON
 * </pre>
 */
public final class ConsumerApp {

    private static final Environment ENV = Environment.builder().region("eu-west-1").build();

    /** One unit of reference-app.ts: what it is called, what it shows, how to build it. */
    record Unit(String name, String constructs, Consumer<App> build) {}

    private ConsumerApp() {}

    // ---------------------------------------------------------------------------------------
    // The app, as a user would write it from the README.
    // ---------------------------------------------------------------------------------------

    static List<Unit> units(Path webBundle) {
        return List.of(
            new Unit("web-app-and-database", "HighlyAvailableWebApp + DetachableDatabase", app -> {
                Stack data = new Stack(app, "ConsumerData", StackProps.builder().env(ENV).build());
                Vpc vpc = Vpc.Builder.create(data, "Vpc")
                    .maxAzs(2)
                    .natGateways(2)
                    .subnetConfiguration(List.of(
                        SubnetConfiguration.builder().name("Public").subnetType(SubnetType.PUBLIC)
                            .mapPublicIpOnLaunch(false).build(),
                        SubnetConfiguration.builder().name("App").subnetType(SubnetType.PRIVATE_WITH_EGRESS).build(),
                        SubnetConfiguration.builder().name("Data").subnetType(SubnetType.PRIVATE_ISOLATED).build()))
                    .flowLogs(allTrafficFlowLogs())
                    .build();
                DetachableDatabase database = DetachableDatabase.Builder.create(data, "Database")
                    .vpc(vpc)
                    .databaseName("shop")
                    .build();
                Stack web = new Stack(app, "ConsumerWeb", StackProps.builder().env(ENV).build());
                HighlyAvailableWebApp webApp = HighlyAvailableWebApp.Builder.create(web, "Shop")
                    .vpc(vpc)
                    .minCapacity(2)
                    .maxCapacity(4)
                    .build();
                database.allowConnectionsFrom(webApp);
                database.grantSecretRead(webApp.getAutoScalingGroup());
            }),
            new Unit("failover-standby", "ElasticIpFailoverInstance standbyInstance", app -> {
                Stack stack = new Stack(app, "ConsumerStandby", StackProps.builder().env(ENV).build());
                ElasticIpFailoverInstance server = ElasticIpFailoverInstance.Builder.create(stack, "Server")
                    .vpc(publicVpc(stack))
                    .build();
                server.allowFromInternet(Port.tcp(443), "HTTPS");
            }),
            new Unit("failover-asg", "ElasticIpFailoverInstance autoScalingGroup + dataVolume", app -> {
                Stack stack = new Stack(app, "ConsumerAsg", StackProps.builder().env(ENV).build());
                ElasticIpFailoverInstance server = ElasticIpFailoverInstance.Builder.create(stack, "Server")
                    .vpc(publicVpc(stack))
                    .strategy(FailoverStrategy.autoScalingGroup(AutoScalingGroupOptions.builder()
                        .dataVolume(DataVolumeOptions.builder()
                            .size(Size.gibibytes(20))
                            .mountPath("/srv/data")
                            .snapshotInterval(Duration.hours(1))
                            .build())
                        .build()))
                    .build();
                server.addResilienceExperiments(ElasticIpFailoverExperimentOptions.builder()
                    .probe(HealthProbe.tcp(443))
                    .faultDuration(Duration.minutes(3))
                    .build());
            }),
            new Unit("beanstalk-pair", "BeanstalkEnvironmentPair", app -> {
                Stack stack = new Stack(app, "ConsumerBeanstalk", StackProps.builder().env(ENV).build());
                SourceBundle bundle = SourceBundle.fromAsset(webBundle.toString());
                BeanstalkEnvironmentPair.Builder.create(stack, "Shop")
                    .platform(BeanstalkPlatform.latest("Node.js 22 running on 64bit Amazon Linux 2023"))
                    .blue(EnvironmentSlotOptions.builder().sourceBundle(bundle).build())
                    .green(EnvironmentSlotOptions.builder().sourceBundle(bundle).build())
                    .live(Slot.BLUE)
                    .build();
            }));
    }

    private static Map<String, FlowLogOptions> allTrafficFlowLogs() {
        return Map.of("All", FlowLogOptions.builder().trafficType(FlowLogTrafficType.ALL).build());
    }

    private static Vpc publicVpc(Stack stack) {
        return Vpc.Builder.create(stack, "Vpc")
            .maxAzs(2)
            .natGateways(0)
            .subnetConfiguration(List.of(SubnetConfiguration.builder().name("Public").subnetType(SubnetType.PUBLIC)
                .mapPublicIpOnLaunch(false).build()))
            .flowLogs(allTrafficFlowLogs())
            .build();
    }

    /**
     * An App writing to outdir, with CloudFormation Validate strict (its warnings fail synthesis too),
     * cross-stack references as CloudFormation exports and cdk-nag AwsSolutions registered.
     */
    static App newCheckedApp(Path outdir) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("@aws-cdk/core:validateAgainstDefaultRules", true);
        context.put("@aws-cdk/core:strictCfnValidateErrors", true);
        context.put("@aws-cdk/core:defaultCrossStackReferences", "strong");
        App app = App.Builder.create().outdir(outdir.toString()).context(context).build();
        Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
        return app;
    }

    // ---------------------------------------------------------------------------------------
    // The checks.
    // ---------------------------------------------------------------------------------------

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ConsumerApp OUT_DIR WEB_BUNDLE_DIR EXPECTATIONS_JSON");
            System.exit(2);
        }
        Path out = Paths.get(args[0]).toAbsolutePath();
        Path webBundle = Paths.get(args[1]).toAbsolutePath();
        Checks checks = new Checks(Paths.get(args[2]).toAbsolutePath());

        List<Unit> units = units(webBundle);
        checks.check("expectations.json lists exactly the units the app builds",
            () -> checks.expectUnitNames(units.stream().map(Unit::name).toList()));

        // The jsii runtime starts node and loads each package's assembly (aws-cdk-lib is 35 MB of
        // tgz) on first use: do that once, timed on its own, so the unit times are build + synth.
        long started = System.nanoTime();
        FailoverStrategy.standbyInstance(); // loads cdk-ha-patterns, aws-cdk-lib and constructs
        new AwsSolutionsChecks();           // loads cdk-nag
        System.out.printf(Locale.ROOT, "java: jsii runtime started, packages loaded in %.2f s%n",
            (System.nanoTime() - started) / 1e9);

        for (Unit unit : units) {
            Path outdir = out.resolve(unit.name());
            long start = System.nanoTime();
            boolean synthesized = checks.check(unit.name() + ": builds and synthesizes with no finding", () -> {
                App app = newCheckedApp(outdir);
                unit.build().accept(app);
                app.synth();
            });
            if (synthesized) {
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "java: %s (%s) synthesized in %.2f s%n",
                    unit.name(), unit.constructs(), seconds);
            }
            checks.expectCleanValidationReport(unit.name(), outdir);
            if (synthesized) {
                checks.expectUnit(unit.name(), outdir);
            }
        }

        checks.check("bad input is refused", () -> {
            App app = newCheckedApp(out.resolve("bad-input"));
            Stack stack = new Stack(app, "Bad", StackProps.builder().env(ENV).build());
            String message = checks.expectRefused(() -> HighlyAvailableWebApp.Builder.create(stack, "Shop")
                .minCapacity(checks.badInputInt("minCapacity"))
                .maxCapacity(checks.badInputInt("maxCapacity"))
                .build());
            System.out.println("java: bad input refused: " + message.lines().findFirst().orElse(""));
        });

        System.exit(checks.summarize() ? 0 : 1);
    }
}
