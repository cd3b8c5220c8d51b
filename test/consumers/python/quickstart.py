from aws_cdk import App, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from cdk_ha_patterns import HighlyAvailableWebApp

app = App(context={
    # CloudFormation Validate: its errors and warnings fail the synthesis
    "@aws-cdk/core:validateAgainstDefaultRules": True,
    "@aws-cdk/core:strictCfnValidateErrors": True,
})
Validations.of(app).add_plugins(AwsSolutionsChecks(app))

stack = Stack(app, "Shop", env={"region": "eu-west-1"})
HighlyAvailableWebApp(stack, "Web", min_capacity=2, max_capacity=4)

app.synth()
