"""The consumer app in Python: the four constructs as a Python user builds them from the README.

Installed from the wheel the build made (dist/python), with aws-cdk-lib, constructs and cdk-nag from
PyPI at the versions package.json pins. Each unit is synthesized with strict CloudFormation Validate
and cdk-nag AwsSolutions, then checked against ../expectations.json (the TypeScript tests hold that
file to the same units built in TypeScript).

    python app.py OUT_DIR BUNDLE_DIR EXPECTATIONS_JSON
"""

import json
import os
import sys
import time
from typing import Any, Callable, Dict, List

from aws_cdk import App, Duration, Size, Stack, Validations, aws_ec2 as ec2
from cdk_nag import AwsSolutionsChecks

from cdk_ha_patterns import (
    BeanstalkEnvironmentPair,
    BeanstalkPlatform,
    DataVolumeOptions,
    DetachableDatabase,
    ElasticIpFailoverInstance,
    EnvironmentSlotOptions,
    FailoverStrategy,
    HealthProbe,
    HighlyAvailableWebApp,
    Slot,
    SourceBundle,
)

ENV = {"region": "eu-west-1"}

CONTEXT = {
    # CloudFormation Validate: errors and warnings fail synthesis.
    "@aws-cdk/core:validateAgainstDefaultRules": True,
    "@aws-cdk/core:strictCfnValidateErrors": True,
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}


def checked_app(outdir: str) -> App:
    app = App(outdir=outdir, context=CONTEXT)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def public_vpc(stack: Stack) -> ec2.Vpc:
    return ec2.Vpc(stack, "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, map_public_ip_on_launch=False)
        ],
        flow_logs={"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)},
    )


def web_app_and_database(app: App, bundle: str) -> None:
    data = Stack(app, "ConsumerData", env=ENV)
    vpc = ec2.Vpc(data, "Vpc",
        max_azs=2,
        nat_gateways=2,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, map_public_ip_on_launch=False),
            ec2.SubnetConfiguration(name="App", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ec2.SubnetConfiguration(name="Data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ],
        flow_logs={"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)},
    )
    database = DetachableDatabase(data, "Database", vpc=vpc, database_name="shop")
    web = Stack(app, "ConsumerWeb", env=ENV)
    web_app = HighlyAvailableWebApp(web, "Shop", vpc=vpc, min_capacity=2, max_capacity=4)
    database.allow_connections_from(web_app)
    database.grant_secret_read(web_app.auto_scaling_group)


def failover_standby(app: App, bundle: str) -> None:
    stack = Stack(app, "ConsumerStandby", env=ENV)
    server = ElasticIpFailoverInstance(stack, "Server", vpc=public_vpc(stack))
    server.allow_from_internet(ec2.Port.tcp(443), "HTTPS")


def failover_asg(app: App, bundle: str) -> None:
    stack = Stack(app, "ConsumerAsg", env=ENV)
    server = ElasticIpFailoverInstance(stack, "Server",
        vpc=public_vpc(stack),
        strategy=FailoverStrategy.auto_scaling_group(
            data_volume=DataVolumeOptions(size=Size.gibibytes(20), mount_path="/srv/data", snapshot_interval=Duration.hours(1)),
        ),
    )
    server.add_resilience_experiments(probe=HealthProbe.tcp(443), fault_duration=Duration.minutes(3))


def beanstalk_pair(app: App, bundle: str) -> None:
    stack = Stack(app, "ConsumerBeanstalk", env=ENV)
    source = SourceBundle.from_asset(bundle)
    BeanstalkEnvironmentPair(stack, "Shop",
        platform=BeanstalkPlatform.latest("Node.js 22 running on 64bit Amazon Linux 2023"),
        blue=EnvironmentSlotOptions(source_bundle=source),
        green=EnvironmentSlotOptions(source_bundle=source),
        live=Slot.BLUE,
    )


UNITS: List[tuple[str, str, Callable[[App, str], None]]] = [
    ("web-app-and-database", "HighlyAvailableWebApp + DetachableDatabase", web_app_and_database),
    ("failover-standby", "ElasticIpFailoverInstance standbyInstance", failover_standby),
    ("failover-asg", "ElasticIpFailoverInstance autoScalingGroup + dataVolume", failover_asg),
    ("beanstalk-pair", "BeanstalkEnvironmentPair", beanstalk_pair),
]


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: List[str] = []

    def check(self, ok: bool, what: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"python: FAILED {what}", file=sys.stderr)


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_unit(checks: Checks, unit: str, outdir: str, expected: Dict[str, Any]) -> None:
    report_file = os.path.join(outdir, "validation-report.json")
    if os.path.exists(report_file):
        violations = [v for p in read_json(report_file).get("pluginReports", []) for v in p.get("violations", [])]
        checks.check(not violations, f"{unit}: no findings, got {violations}")
    functions = 0
    for stack_name, counts in expected["stacks"].items():
        resources = read_json(os.path.join(outdir, f"{stack_name}.template.json")).get("Resources", {})
        actual: Dict[str, int] = {}
        for resource in resources.values():
            actual[resource["Type"]] = actual.get(resource["Type"], 0) + 1
        checks.check(actual == counts, f"{unit}: {stack_name} resource counts {actual} == {counts}")
        # The asset manifest maps each file asset's hash to the folder staged in cdk.out.
        assets = read_json(os.path.join(outdir, f"{stack_name}.assets.json")).get("files", {})
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            functions += 1
            asset_hash = str(resource["Properties"]["Code"].get("S3Key", "")).removesuffix(".zip")
            staged_path = assets.get(asset_hash, {}).get("source", {}).get("path")
            staged = os.path.join(outdir, staged_path) if staged_path else ""
            ok = bool(staged) and os.path.isdir(staged) and len(os.listdir(staged)) > 0
            checks.check(ok, f"{unit}: the code of {stack_name}/{logical_id} is staged in cdk.out ({staged_path})")
    checks.check(functions == expected["lambdaFunctions"],
                 f"{unit}: {functions} Lambda functions == {expected['lambdaFunctions']}")


def check_bad_input(checks: Checks, bad: Dict[str, Any]) -> None:
    stack = Stack(App(), "Bad")
    try:
        HighlyAvailableWebApp(stack, "Shop", min_capacity=bad["minCapacity"], max_capacity=bad["maxCapacity"])
    except Exception as e:  # jsii raises the library's Error as a RuntimeError subclass
        message = str(e)
        print(f"python: bad input refused: {type(e).__name__}: " + " / ".join(message.splitlines()[:2]))
        for part in bad["messageContains"]:
            checks.check(part in message, f"bad input: the message names {part!r}: {message!r}")
        return
    checks.check(False, "bad input: HighlyAvailableWebApp(min_capacity=5, max_capacity=2) was accepted")


def main(out: str, bundle: str, expectations_file: str) -> int:
    expectations = read_json(expectations_file)
    checks = Checks()
    for unit, constructs, build in UNITS:
        outdir = os.path.join(out, unit)
        start = time.perf_counter()
        app = checked_app(outdir)
        build(app, bundle)
        app.synth()
        print(f"python: {unit} ({constructs}) synthesized in {time.perf_counter() - start:.2f} s")
        check_unit(checks, unit, outdir, expectations["units"][unit])
    check_bad_input(checks, expectations["badInput"])
    print(f"python: {checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
