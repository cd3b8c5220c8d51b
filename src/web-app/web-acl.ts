import { ArnFormat, Aws, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { logsEncryptionKey } from '../common/logs-key';
import { PropsValidator } from '../common/validation';

/**
 * The AWS WAF web ACL that inspects the requests reaching a {@link HighlyAvailableWebApp}'s load
 * balancer: one you manage (`WebAcl.fromArn`) or one the construct creates with AWS managed rule
 * groups (`WebAcl.managedRules`). Either way the construct associates it with the load balancer
 * (`AWS::WAFv2::WebACLAssociation`).
 *
 * AWS WAF bills each web ACL ($5 a month), each rule or rule group in it ($1 a month) and the
 * requests it inspects ($0.60 per million), prorated by the hour.
 */
export abstract class WebAcl {
  /**
   * A regional web ACL you manage, in the load balancer's region, for example
   * `WebAcl.fromArn(myCfnWebAcl.attrArn)`. Its rules, logging and cost are yours; the construct
   * only associates it with the load balancer.
   *
   * @param webAclArn the ARN of a web ACL of scope `REGIONAL`:
   * `arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>`
   */
  public static fromArn(webAclArn: string): WebAcl {
    return new GivenWebAcl(webAclArn);
  }

  /**
   * A new regional web ACL that allows requests by default and blocks what three AWS managed rule
   * groups match: the core rule set (`AWSManagedRulesCommonRuleSet`: common exploits such as those
   * of the OWASP Top 10, and request bodies over 8 KB, the most a load balancer's web ACL
   * inspects), known bad inputs (`AWSManagedRulesKnownBadInputsRuleSet`, Log4j and other exploit
   * patterns) and the Amazon IP reputation list (`AWSManagedRulesAmazonIpReputationList`). These
   * groups carry no subscription of their own (each is billed as one rule) and fit well within the
   * 1,500 web ACL capacity units the base price covers (the core rule set, the largest, takes 700).
   *
   * Its traffic log goes to a new CloudWatch Logs log group (named `aws-waf-logs-...`, as WAF
   * requires), encrypted with the stack's logs key, kept one year and retained when the stack is
   * deleted.
   *
   * Cost: $8 a month (the web ACL and three rule groups) plus $0.60 per million requests, plus
   * CloudWatch Logs ingestion and storage of the log.
   *
   * An application that takes uploads larger than 8 KB, or that the rules block by mistake, needs
   * rules tuned for it: manage a web ACL of your own and give it with `WebAcl.fromArn`.
   */
  public static managedRules(): WebAcl {
    return new ManagedRulesWebAcl();
  }

  /**
   * Records every problem with the web ACL's settings.
   *
   * @internal
   */
  public abstract _validate(check: PropsValidator, region: string): void;

  /**
   * Creates the web ACL (if it is new) and its association with the load balancer in `scope`.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer): WebAclBinding;
}

/** What binding a {@link WebAcl} made (internal: not exported from the package). */
export interface WebAclBinding {
  /** The ARN of the web ACL associated with the load balancer. */
  readonly webAclArn: string;
  /** The association of the web ACL with the load balancer. */
  readonly association: wafv2.CfnWebACLAssociation;
  /** The web ACL the construct created (unset for a given one). */
  readonly webAcl?: wafv2.CfnWebACL;
  /** The log group of the web ACL the construct created (unset for a given one). */
  readonly logGroup?: logs.ILogGroup;
}

/** `arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>` */
const REGIONAL_WEB_ACL_ARN = /^arn:[a-z-]+:wafv2:([a-z0-9-]+):\d{12}:regional\/webacl\/[^/]+\/[^/]+$/;

class GivenWebAcl extends WebAcl {
  constructor(private readonly webAclArn: string) {
    super();
  }

  public _validate(check: PropsValidator, region: string): void {
    if (Token.isUnresolved(this.webAclArn)) return;
    const match = REGIONAL_WEB_ACL_ARN.exec(this.webAclArn);
    if (!match) {
      check.fail(
        'webAcl',
        'must be the ARN of a regional web ACL (arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>): a load balancer takes web ACLs of scope REGIONAL only',
        this.webAclArn,
      );
    } else if (!Token.isUnresolved(region) && match[1] !== region) {
      check.fail(
        'webAcl',
        `must be a web ACL in the load balancer's region (${region}): WAF associates a regional web ACL with resources of its own region only`,
        this.webAclArn,
      );
    }
  }

  public _bind(scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer): WebAclBinding {
    return { webAclArn: this.webAclArn, association: associate(scope, loadBalancer, this.webAclArn) };
  }
}

/** The AWS managed rule groups of `WebAcl.managedRules()`, in evaluation order. */
const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
];

class ManagedRulesWebAcl extends WebAcl {
  public _validate(): void {}

  public _bind(scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer): WebAclBinding {
    const metricPrefix = Names.uniqueResourceName(scope, { maxLength: 64, separator: '-' });
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const webAcl = new wafv2.CfnWebACL(scope, 'WebAcl', {
      scope: 'REGIONAL',
      description:
        'HighlyAvailableWebApp load balancer: AWS managed rule groups - IP reputation, core rule set, known bad inputs',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(metricPrefix),
      rules: MANAGED_RULE_GROUPS.map((name, priority) => ({
        name,
        priority,
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        overrideAction: { none: {} },
        visibilityConfig: visibility(`${metricPrefix}-${name}`),
      })),
    });

    // WAF takes a log group whose name starts with aws-waf-logs-, given by its ARN without the
    // trailing ':*' that LogGroup.logGroupArn carries. The group is retained, so its name ends with
    // the stack id's unique part: a stack deleted and created again gets a group of its own instead
    // of failing on the name the retained one still holds.
    const stackGuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    const logGroupName = `aws-waf-logs-${Names.uniqueResourceName(scope, { maxLength: 400, separator: '-' })}-${stackGuid}`;
    const logGroup = new logs.LogGroup(scope, 'WebAclLogs', {
      logGroupName,
      encryptionKey: logsEncryptionKey(scope),
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logging = new wafv2.CfnLoggingConfiguration(scope, 'WebAclLogging', {
      resourceArn: webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(scope).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
    logging.node.addDependency(logGroup);

    return {
      webAclArn: webAcl.attrArn,
      association: associate(scope, loadBalancer, webAcl.attrArn),
      webAcl,
      logGroup,
    };
  }
}

function associate(
  scope: Construct,
  loadBalancer: elbv2.ApplicationLoadBalancer,
  webAclArn: string,
): wafv2.CfnWebACLAssociation {
  return new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
    resourceArn: loadBalancer.loadBalancerArn,
    webAclArn,
  });
}
