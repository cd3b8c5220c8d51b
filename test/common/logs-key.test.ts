import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ElasticIpFailoverInstance, FailoverStrategy, HighlyAvailableWebApp } from '../../src';
import { LOGS_KEY_ID } from '../../src/common/logs-key';
import { synthFindings } from '../support/checked-app';
import { newComplianceApp } from '../support/compliance';
import { publicOnlyVpc } from '../support/vpc';

const ENV = { account: '111111111111', region: 'eu-west-1' };

/** A stack with two of the library's constructs, so their log groups share the stack's key. */
function build(packs = false) {
  const app = packs ? newComplianceApp() : new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const webApp = new HighlyAvailableWebApp(stack, 'WebApp');
  const server = new ElasticIpFailoverInstance(stack, 'Server', {
    vpc: webApp.vpc,
    strategy: FailoverStrategy.standbyInstance(),
  });
  return { app, stack, webApp, server };
}

function keyLogicalId(stack: Stack): string {
  return stack.getLogicalId(stack.node.findChild(LOGS_KEY_ID).node.defaultChild as never);
}

describe('the logs key', () => {
  test('one key per stack, rotated, kept on deletion, encrypts every log group the constructs create', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);
    const keys = template.findResources('AWS::KMS::Key', {
      Properties: { Description: 'Encrypts the log groups of the cdk-ha-patterns constructs in this stack' },
    });
    expect(Object.keys(keys)).toEqual([keyLogicalId(stack)]);
    expect(keys[keyLogicalId(stack)]).toMatchObject({
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    const groups = template.findResources('AWS::Logs::LogGroup');
    // The web app's flow logs, the failover function's logs.
    expect(Object.keys(groups).length).toBeGreaterThanOrEqual(2);
    for (const [id, group] of Object.entries(groups)) {
      expect([id, group.Properties.KmsKeyId]).toEqual([id, { 'Fn::GetAtt': [keyLogicalId(stack), 'Arn'] }]);
    }
  });

  test('its policy lets CloudWatch Logs of the region use it for log groups of the account only', () => {
    const { stack } = build();
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
            Effect: 'Allow',
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:log-group:*']],
                },
              },
            },
          },
        ]),
      },
    });
  });

  test('in an environment-agnostic stack, the region and account come from the stack', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new ElasticIpFailoverInstance(stack, 'Server', {
      vpc: publicOnlyVpc(stack),
      strategy: FailoverStrategy.standbyInstance(),
    });
    const statements = Template.fromStack(stack).toJSON().Resources[keyLogicalId(stack)].Properties.KeyPolicy
      .Statement as { Sid?: string; Principal: unknown; Condition: unknown }[];
    const logs = statements.find((s) => s.Sid === 'CloudWatchLogsEncryptsThisAccountsLogGroups')!;
    expect(logs.Principal).toEqual({
      Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
    });
    expect(JSON.stringify(logs.Condition)).toContain('{"Ref":"AWS::AccountId"}');
  });

  test('no pack finds an unencrypted log group (cdk-nag AwsSolutions, NIST 800-53 R5, HIPAA, PCI DSS)', () => {
    const { app } = build(true);
    const findings = synthFindings(app).filter((f) => /LogGroupEncrypted|KMSBackingKeyRotationEnabled/.test(f.rule));
    expect(findings).toEqual([]);
  });
});
