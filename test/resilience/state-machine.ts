import { Template } from 'aws-cdk-lib/assertions';

/**
 * The definition of the template's only state machine, with every reference replaced by
 * `<LogicalId>` or `<LogicalId.Attr>`.
 */
export function definition(template: Template): any {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
  const body = machine.Properties.DefinitionString;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts
    .map((p: any) =>
      typeof p === 'string' ? p : p.Ref ? `<${p.Ref}>` : p['Fn::GetAtt'] ? `<${p['Fn::GetAtt'].join('.')}>` : '<?>',
    )
    .join('');
  return JSON.parse(text);
}
