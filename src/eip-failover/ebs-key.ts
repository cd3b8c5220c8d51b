import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

// Internal: what a role needs of a customer managed KMS key to create, attach or start EBS
// volumes encrypted with it (the actions the AWS documentation's EBS key policy lists for the
// principals that use encrypted volumes), and to let EBS create its grants on the key.

export function grantEbsKeyUse(key: kms.IKey, role: iam.IRole, sid: string): void {
  key.grant(
    role,
    'kms:Decrypt',
    'kms:DescribeKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid,
      actions: ['kms:CreateGrant'],
      resources: [key.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  );
}
