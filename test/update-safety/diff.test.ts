import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { CfnTemplate, describeChange, updateSafetyDiff } from './diff';

// The propagation helper itself, on small hand-written templates.

const AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64';

/** A launch template and what follows its latest version: two instances, a group, an EIP association. */
function fleet(launchTemplateData: object, extra: { [id: string]: object } = {}): CfnTemplate {
  const version = { 'Fn::GetAtt': ['LaunchTemplate', 'LatestVersionNumber'] };
  return {
    Parameters: {
      AmiParameter: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: AMI_PARAMETER },
    },
    Resources: {
      LaunchTemplate: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: launchTemplateData } },
      Primary: {
        Type: 'AWS::EC2::Instance',
        Properties: { LaunchTemplate: { LaunchTemplateId: { Ref: 'LaunchTemplate' }, Version: version } },
      },
      Standby: {
        Type: 'AWS::EC2::Instance',
        Properties: {
          LaunchTemplate: { LaunchTemplateId: { Ref: 'LaunchTemplate' }, Version: 'pinned-version-1' },
        },
      },
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          MinSize: '1',
          MaxSize: '1',
          LaunchTemplate: { LaunchTemplateId: { Ref: 'LaunchTemplate' }, Version: version },
        },
      },
      Address: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
      Association: {
        Type: 'AWS::EC2::EIPAssociation',
        Properties: { AllocationId: { 'Fn::GetAtt': ['Address', 'AllocationId'] }, InstanceId: { Ref: 'Primary' } },
      },
      ...extra,
    },
  };
}

const T3 = { ImageId: { Ref: 'AmiParameter' }, InstanceType: 't3.micro' };

describe('updateSafetyDiff', () => {
  test('an instance following LatestVersionNumber is replaced when the launch template changes, which fullDiff alone misses', () => {
    const before = fleet(T3);
    const after = fleet({ ...T3, InstanceType: 't3.small' });

    // The diff engine by itself: the instance's LaunchTemplate reads the same, so no change.
    const plain = fullDiff(before, after);
    expect(plain.resources.get('Primary')?.changeImpact ?? ResourceImpact.NO_CHANGE).toBe(ResourceImpact.NO_CHANGE);

    const result = updateSafetyDiff(before, after);
    expect(result.change('LaunchTemplate')?.impact).toBe(ResourceImpact.WILL_UPDATE);
    const primary = result.change('Primary')!;
    expect(primary.impact).toBe(ResourceImpact.WILL_REPLACE);
    expect(primary.properties).toEqual([
      {
        name: 'LaunchTemplate',
        impact: ResourceImpact.WILL_REPLACE,
        replacedBy: undefined,
        causes: ['LaunchTemplate.LatestVersionNumber: LaunchTemplate is updated'],
      },
    ]);
    // The replacement travels on: the association names the primary by Ref (InstanceId: replacement).
    expect(result.change('Association')?.impact).toBe(ResourceImpact.WILL_REPLACE);
    expect(describeChange(result.change('Association')!)).toBe(
      'Association (AWS::EC2::EIPAssociation) WILL_REPLACE: InstanceId [WILL_REPLACE] ← Ref Primary: Primary is replaced',
    );
    expect(result.rounds).toBeGreaterThanOrEqual(3);
  });

  test('what only updates is not reported as replaced: the group follows the version in place, a pinned version and the Elastic IP do not change', () => {
    const result = updateSafetyDiff(fleet(T3), fleet({ ...T3, InstanceType: 't3.small' }));
    expect(result.change('Group')?.impact).toBe(ResourceImpact.WILL_UPDATE);
    expect(result.change('Group')?.properties.map((p) => p.causes)).toEqual([
      ['LaunchTemplate.LatestVersionNumber: LaunchTemplate is updated'],
    ]);
    // References to the launch template id (which an update keeps) and a literal version do not change.
    expect(result.change('Standby')).toBeUndefined();
    expect(result.change('Address')).toBeUndefined();
    expect(result.changes.map((c) => c.logicalId).sort()).toEqual([
      'Association',
      'Group',
      'LaunchTemplate',
      'Primary',
    ]);
  });

  test('a template that does not change has no change, even through attributes', () => {
    const result = updateSafetyDiff(fleet(T3), fleet(T3));
    expect(result.changes).toEqual([]);
    expect(result.rounds).toBe(1);
  });

  test('an SSM parameter whose value changes changes every property that refers to it', () => {
    const same = updateSafetyDiff(fleet(T3), fleet(T3), { ssmParameters: ['/aws/service/other'] });
    expect(same.changes).toEqual([]);

    const result = updateSafetyDiff(fleet(T3), fleet(T3), { ssmParameters: [/^\/aws\/service\/ami-/] });
    expect(result.change('LaunchTemplate')?.properties[0].causes).toEqual([
      `Ref AmiParameter: the value of SSM parameter ${AMI_PARAMETER} changes`,
    ]);
    expect(result.change('Primary')?.impact).toBe(ResourceImpact.WILL_REPLACE);
    expect(result.change('Group')?.impact).toBe(ResourceImpact.WILL_UPDATE);
  });

  test('a {{resolve:ssm:…}} dynamic reference whose value changes changes the property', () => {
    const instance = (imageId: string): CfnTemplate => ({
      Resources: {
        Instance: { Type: 'AWS::EC2::Instance', Properties: { ImageId: imageId, InstanceType: 't3.micro' } },
      },
    });
    const template = instance(`{{resolve:ssm:${AMI_PARAMETER}}}`);
    expect(updateSafetyDiff(template, template).changes).toEqual([]);
    const result = updateSafetyDiff(template, template, { ssmParameters: [AMI_PARAMETER] });
    expect(describeChange(result.change('Instance')!)).toBe(
      `Instance (AWS::EC2::Instance) WILL_REPLACE: ImageId [WILL_REPLACE] ← the value of SSM parameter ${AMI_PARAMETER} changes`,
    );
  });

  test('references inside Fn::Sub are followed, variables of the Sub itself are not', () => {
    const template = (groupDescription: string): CfnTemplate => ({
      Resources: {
        Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: groupDescription } },
        Alarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { AlarmName: { 'Fn::Sub': 'alarm-${Group.GroupId}' } },
        },
        Rule: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { AlarmName: { 'Fn::Sub': ['alarm-${Group}', { Group: 'literal' }] } },
        },
      },
    });
    const result = updateSafetyDiff(template('one'), template('two'));
    expect(result.change('Group')?.impact).toBe(ResourceImpact.WILL_REPLACE);
    expect(describeChange(result.change('Alarm')!)).toBe(
      'Alarm (AWS::CloudWatch::Alarm) WILL_REPLACE: AlarmName [WILL_REPLACE] ← Group.GroupId: Group is replaced',
    );
    expect(result.change('Rule')).toBeUndefined();
  });

  test('a nested property that causes replacement makes the resource replaced (a Beanstalk tier), another nested one does not', () => {
    const environment = (tier: object): CfnTemplate => ({
      Resources: {
        Env: {
          Type: 'AWS::ElasticBeanstalk::Environment',
          Properties: { ApplicationName: 'app', EnvironmentName: 'env', Tier: tier },
        },
      },
    });
    const web = environment({ Name: 'WebServer', Type: 'Standard' });

    // The diff engine by itself reads only the top-level Tier, which updates in place.
    const plain = fullDiff(web, environment({ Name: 'Worker', Type: 'SQS' }));
    expect(plain.resources.get('Env').changeImpact).toBe(ResourceImpact.WILL_UPDATE);

    const worker = updateSafetyDiff(web, environment({ Name: 'Worker', Type: 'SQS' })).change('Env')!;
    expect(worker.impact).toBe(ResourceImpact.WILL_REPLACE);
    expect(worker.properties[0].replacedBy).toMatch(/^Tier\.(Name|Type)$/);

    const version = updateSafetyDiff(web, environment({ Name: 'WebServer', Type: 'Standard', Version: '1.0' }));
    expect(version.change('Env')?.impact).toBe(ResourceImpact.WILL_UPDATE);
  });

  test('a custom resource is updated when its properties change, and what reads its attributes changes with it', () => {
    const template = (branch: string): CfnTemplate => ({
      Resources: {
        Platform: {
          Type: 'Custom::BeanstalkPlatform',
          Properties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:lookup', BranchName: branch },
        },
        ByArn: {
          Type: 'AWS::ElasticBeanstalk::Environment',
          Properties: { ApplicationName: 'app', PlatformArn: { 'Fn::GetAtt': ['Platform', 'PlatformArn'] } },
        },
        ByStackName: {
          Type: 'AWS::ElasticBeanstalk::Environment',
          Properties: { ApplicationName: 'app', SolutionStackName: { 'Fn::GetAtt': ['Platform', 'StackName'] } },
        },
      },
    });
    const plain = fullDiff(template('Node.js 20'), template('Node.js 22'));
    expect(plain.resources.get('Platform').changeImpact).toBe(ResourceImpact.NO_CHANGE);

    const result = updateSafetyDiff(template('Node.js 20'), template('Node.js 22'));
    expect(result.change('Platform')?.impact).toBe(ResourceImpact.WILL_UPDATE);
    expect(result.change('ByArn')?.impact).toBe(ResourceImpact.WILL_UPDATE);
    expect(result.change('ByStackName')?.impact).toBe(ResourceImpact.WILL_REPLACE);
  });
});
