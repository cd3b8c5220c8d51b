// Command consumer is the Go consumer app of cdk-ha-patterns: the app a Go user writes from the
// README, with the same four units, stack names and props as test/consumers/reference-app.ts.
// Each unit is synthesized in its own App with strict CloudFormation Validate and cdk-nag
// AwsSolutions, then checked against test/consumers/expectations.json (see checks.go).
//
// cdk-nag comes from github.com/cdklabs/cdk-nag-go/cdknag/v3, which the Go module proxy does not
// serve: run.sh generates that binding with jsii-pacmak from the repo's node_modules/cdk-nag and
// points a `replace` directive at it.
//
//	consumer -out DIR -bundle DIR -expectations FILE
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-ha-patterns/cdk-ha-patterns-go/cdkhapatterns"
	"github.com/cdklabs/cdk-nag-go/cdknag/v3"
)

// env is the environment of every stack: a region, so the VPCs span two named zones.
var env = &awscdk.Environment{Region: jsii.String("eu-west-1")}

// unit is one app of reference-app.ts: its name, the constructs it shows and how to build it.
type unit struct {
	name       string
	constructs string
	build      func(app awscdk.App, bundleDir string)
}

var units = []unit{
	{"web-app-and-database", "HighlyAvailableWebApp + DetachableDatabase", func(app awscdk.App, _ string) {
		data := awscdk.NewStack(app, jsii.String("ConsumerData"), &awscdk.StackProps{Env: env})
		vpc := awsec2.NewVpc(data, jsii.String("Vpc"), &awsec2.VpcProps{
			MaxAzs:      jsii.Number(2),
			NatGateways: jsii.Number(2),
			SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
				{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, MapPublicIpOnLaunch: jsii.Bool(false)},
				{Name: jsii.String("App"), SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
				{Name: jsii.String("Data"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
			},
			FlowLogs: allTrafficFlowLog(),
		})
		database := cdkhapatterns.NewDetachableDatabase(data, jsii.String("Database"), &cdkhapatterns.DetachableDatabaseProps{
			Vpc:          vpc,
			DatabaseName: jsii.String("shop"),
		})
		web := awscdk.NewStack(app, jsii.String("ConsumerWeb"), &awscdk.StackProps{Env: env})
		webApp := cdkhapatterns.NewHighlyAvailableWebApp(web, jsii.String("Shop"), &cdkhapatterns.HighlyAvailableWebAppProps{
			Vpc:         vpc,
			MinCapacity: jsii.Number(2),
			MaxCapacity: jsii.Number(4),
		})
		database.AllowConnectionsFrom(webApp)
		database.GrantSecretRead(webApp.AutoScalingGroup())
	}},
	{"failover-standby", "ElasticIpFailoverInstance standbyInstance", func(app awscdk.App, _ string) {
		stack := awscdk.NewStack(app, jsii.String("ConsumerStandby"), &awscdk.StackProps{Env: env})
		server := cdkhapatterns.NewElasticIpFailoverInstance(stack, jsii.String("Server"), &cdkhapatterns.ElasticIpFailoverInstanceProps{
			Vpc: publicVpc(stack),
		})
		server.AllowFromInternet(awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS"))
	}},
	{"failover-asg", "ElasticIpFailoverInstance autoScalingGroup + dataVolume", func(app awscdk.App, _ string) {
		stack := awscdk.NewStack(app, jsii.String("ConsumerAsg"), &awscdk.StackProps{Env: env})
		server := cdkhapatterns.NewElasticIpFailoverInstance(stack, jsii.String("Server"), &cdkhapatterns.ElasticIpFailoverInstanceProps{
			Vpc: publicVpc(stack),
			Strategy: cdkhapatterns.FailoverStrategy_AutoScalingGroup(&cdkhapatterns.AutoScalingGroupOptions{
				DataVolume: &cdkhapatterns.DataVolumeOptions{
					Size:             awscdk.Size_Gibibytes(jsii.Number(20)),
					MountPath:        jsii.String("/srv/data"),
					SnapshotInterval: awscdk.Duration_Hours(jsii.Number(1)),
				},
			}),
		})
		server.AddResilienceExperiments(&cdkhapatterns.ElasticIpFailoverExperimentOptions{
			Probe:         cdkhapatterns.HealthProbe_Tcp(jsii.Number(443), nil),
			FaultDuration: awscdk.Duration_Minutes(jsii.Number(3)),
		})
	}},
	{"beanstalk-pair", "BeanstalkEnvironmentPair", func(app awscdk.App, bundleDir string) {
		stack := awscdk.NewStack(app, jsii.String("ConsumerBeanstalk"), &awscdk.StackProps{Env: env})
		bundle := cdkhapatterns.SourceBundle_FromAsset(jsii.String(bundleDir), nil)
		cdkhapatterns.NewBeanstalkEnvironmentPair(stack, jsii.String("Shop"), &cdkhapatterns.BeanstalkEnvironmentPairProps{
			Platform: cdkhapatterns.BeanstalkPlatform_Latest(jsii.String("Node.js 22 running on 64bit Amazon Linux 2023")),
			Blue:     &cdkhapatterns.EnvironmentSlotOptions{SourceBundle: bundle},
			Green:    &cdkhapatterns.EnvironmentSlotOptions{SourceBundle: bundle},
			Live:     cdkhapatterns.Slot_BLUE,
		})
	}},
}

// allTrafficFlowLog is the flow log every VPC of the app has: all traffic to CloudWatch Logs.
func allTrafficFlowLog() *map[string]*awsec2.FlowLogOptions {
	return &map[string]*awsec2.FlowLogOptions{"All": {TrafficType: awsec2.FlowLogTrafficType_ALL}}
}

// publicVpc is a two-zone VPC with public subnets only and no NAT gateway.
func publicVpc(stack awscdk.Stack) awsec2.Vpc {
	return awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("Public"), SubnetType: awsec2.SubnetType_PUBLIC, MapPublicIpOnLaunch: jsii.Bool(false)},
		},
		FlowLogs: allTrafficFlowLog(),
	})
}

// newCheckedApp is an App writing to outdir with CloudFormation Validate on (its warnings fail
// synthesis too), cross-stack references as CloudFormation exports, and cdk-nag AwsSolutions
// registered as a validation plugin.
func newCheckedApp(outdir string) awscdk.App {
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir: jsii.String(outdir),
		Context: &map[string]interface{}{
			"@aws-cdk/core:validateAgainstDefaultRules": true,
			"@aws-cdk/core:strictCfnValidateErrors":     true,
			"@aws-cdk/core:defaultCrossStackReferences": "strong",
		},
	})
	awscdk.Validations_Of(app).AddPlugins(cdknag.NewAwsSolutionsChecks(app, nil))
	return app
}

// try runs f and returns what it panicked with (a jsii call that throws in JavaScript panics in
// Go), or nil.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	f()
	return nil
}

func main() {
	out := flag.String("out", "", "directory the units' cloud assemblies are written under (required)")
	bundle := flag.String("bundle", "", "the Beanstalk source bundle directory, test/consumers/web-bundle (required)")
	expectationsFile := flag.String("expectations", "", "expectations.json to check against (required)")
	flag.Parse()
	if *out == "" || *bundle == "" || *expectationsFile == "" {
		fmt.Fprintln(os.Stderr, "usage: consumer -out DIR -bundle DIR -expectations FILE")
		os.Exit(2)
	}
	os.Exit(run(*out, *bundle, *expectationsFile))
}

func run(out, bundle, expectationsFile string) int {
	defer jsii.Close()
	expected, err := loadExpectations(expectationsFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go: %v\n", err)
		return 1
	}
	r := &results{}
	names := make([]string, 0, len(units))
	for _, u := range units {
		names = append(names, u.name)
		outdir := filepath.Join(out, u.name)
		start := time.Now()
		synthErr := try(func() {
			app := newCheckedApp(outdir)
			u.build(app, bundle)
			app.Synth(nil)
		})
		fmt.Printf("go: %s (%s) synthesized in %.2f s\n", u.name, u.constructs, time.Since(start).Seconds())
		if synthErr != nil {
			r.fail(u.name+": synthesis", "it failed: %v", synthErr)
		} else {
			r.pass()
		}
		r.checkValidationReport(u.name, outdir)
		want, ok := expected.Units[u.name]
		if !ok {
			r.fail(u.name, "%s has no unit %q", expectationsFile, u.name)
			continue
		}
		r.checkStacks(u.name, outdir, want.Stacks)
		r.checkLambdaFunctions(u.name, outdir, want)
	}
	r.checkUnitNames(names, expected, expectationsFile)
	r.checkBadInput(filepath.Join(out, "bad-input"), expected.BadInput)
	fmt.Printf("go: %d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 {
		return 1
	}
	return 0
}

// checkBadInput builds a HighlyAvailableWebApp whose minCapacity is above its maxCapacity in a
// fresh stack: the construct must refuse it, naming both values.
func (r *results) checkBadInput(outdir string, bad badInput) {
	const what = "bad input"
	err := try(func() {
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
		stack := awscdk.NewStack(app, jsii.String("Bad"), nil)
		cdkhapatterns.NewHighlyAvailableWebApp(stack, jsii.String("Shop"), &cdkhapatterns.HighlyAvailableWebAppProps{
			MinCapacity: jsii.Number(bad.MinCapacity),
			MaxCapacity: jsii.Number(bad.MaxCapacity),
		})
	})
	if err == nil {
		r.fail(what, "%s with minCapacity %v and maxCapacity %v was accepted", bad.Construct, bad.MinCapacity, bad.MaxCapacity)
		return
	}
	for _, s := range bad.MessageContains {
		if !strings.Contains(err.Error(), s) {
			r.fail(what, "the error does not contain %q: %v", s, err)
			return
		}
	}
	r.pass()
	// The first line names the construct; the lines after it list each problem.
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	fmt.Printf("go: bad input refused: %s\n", lines[0])
	for _, line := range lines[1:] {
		fmt.Printf("    %s\n", strings.TrimSpace(line))
	}
}
