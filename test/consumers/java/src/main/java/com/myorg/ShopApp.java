package com.myorg;

import io.github.cdkhapatterns.HighlyAvailableWebApp;
import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Validations;

public final class ShopApp {
    public static void main(final String[] args) {
        App app = new App(AppProps.builder()
            .context(Map.of(
                // CloudFormation Validate: its errors and warnings fail the synthesis
                "@aws-cdk/core:validateAgainstDefaultRules", true,
                "@aws-cdk/core:strictCfnValidateErrors", true))
            .build());
        Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

        Stack stack = new Stack(app, "Shop", StackProps.builder()
            .env(Environment.builder().region("eu-west-1").build())
            .build());
        HighlyAvailableWebApp.Builder.create(stack, "Web")
            .minCapacity(2)
            .maxCapacity(4)
            .build();

        app.synth();
    }
}
