package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-ha-patterns/cdk-ha-patterns-go/cdkhapatterns"
	"github.com/cdklabs/cdk-nag-go/cdknag/v3"
)

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(&awscdk.AppProps{
		Context: &map[string]interface{}{
			// CloudFormation Validate: its errors and warnings fail the synthesis
			"@aws-cdk/core:validateAgainstDefaultRules": true,
			"@aws-cdk/core:strictCfnValidateErrors":     true,
		},
	})
	awscdk.Validations_Of(app).AddPlugins(cdknag.NewAwsSolutionsChecks(app, nil))

	stack := awscdk.NewStack(app, jsii.String("Shop"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-west-1")},
	})
	cdkhapatterns.NewHighlyAvailableWebApp(stack, jsii.String("Web"), &cdkhapatterns.HighlyAvailableWebAppProps{
		MinCapacity: jsii.Number(2),
		MaxCapacity: jsii.Number(4),
	})

	app.Synth(nil)
}
