import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';

/**
 * The option settings of an environment in the order they were first set; setting the same
 * namespace and option name again replaces the value in place (so the escape hatch, applied last,
 * wins).
 */
export class OptionSettings {
  private readonly settings = new Map<string, elasticbeanstalk.CfnEnvironment.OptionSettingProperty>();

  public set(namespace: string, optionName: string, value: string): void {
    this.add({ namespace, optionName, value });
  }

  public add(setting: elasticbeanstalk.CfnEnvironment.OptionSettingProperty): void {
    const key = `${setting.namespace}\0${setting.optionName}\0${setting.resourceName ?? ''}`;
    this.settings.set(key, setting);
  }

  public get(namespace: string, optionName: string): string | undefined {
    return this.settings.get(`${namespace}\0${optionName}\0`)?.value;
  }

  public render(): elasticbeanstalk.CfnEnvironment.OptionSettingProperty[] {
    return [...this.settings.values()];
  }
}
