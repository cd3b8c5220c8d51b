// Renders what the README shows of a construct's monitoring from the template itself: the table of
// its alarms (from each AWS::CloudWatch::Alarm / CompositeAlarm's properties) and a text picture of
// its dashboard (from the DashboardBody's widget positions and titles), so neither can drift from
// what the library synthesizes.
import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** Columns of the picture per dashboard grid unit (the grid is 24 units wide). */
const COLUMN_CHARS = 4;
/** Lines of the picture per dashboard height unit (a box is at least 3 lines). */
const LINES_PER_UNIT = 0.5;

const COMPARISONS: Record<string, string> = {
  GreaterThanOrEqualToThreshold: '>=',
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside band',
  GreaterThanUpperThreshold: '> band',
  LessThanLowerThreshold: '< band',
};

/** A CloudFormation value with its intrinsic functions flattened into readable placeholders. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(text).join(sep);
    }
    if ('Ref' in o) return `<${o.Ref}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return '<value>';
}

/** The dashboard body as JSON, tokens replaced by placeholders. */
export function dashboardBody(stack: Stack, dashboard: cloudwatch.Dashboard): { widgets: Widget[] } {
  const template = stackTemplate(stack);
  const logicalId = stack.getLogicalId(dashboard.node.defaultChild as cloudwatch.CfnDashboard);
  const body = template.Resources[logicalId].Properties.DashboardBody;
  const joined =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'X')).join('');
  return JSON.parse(joined);
}

interface Widget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title?: string; readonly markdown?: string };
}

/**
 * A text picture of a dashboard: one box per widget at its grid position, with its title (or a
 * text widget's markdown); 4 characters per grid column, a line per two height units.
 */
export function dashboardPicture(stack: Stack, dashboard: cloudwatch.Dashboard): string {
  const { widgets } = dashboardBody(stack, dashboard);
  const heightOf = (w: Widget) => Math.max(3, Math.round(w.height * LINES_PER_UNIT) + 1);
  // Each row of widgets (one y) starts on the bottom border of the row above it.
  const starts = [...new Set(widgets.map((w) => w.y))].sort((a, b) => a - b);
  const lineOf = new Map<number, number>();
  let line = 0;
  for (const y of starts) {
    lineOf.set(y, line);
    line += Math.max(...widgets.filter((w) => w.y === y).map(heightOf)) - 1;
  }
  const top = (y: number) => lineOf.get(y)!;
  const lines = Math.max(...widgets.map((w) => top(w.y) + heightOf(w)));
  const width = 24 * COLUMN_CHARS + 1;
  const grid: string[][] = Array.from({ length: lines }, () => Array(width).fill(' '));
  for (const w of widgets) {
    const x0 = w.x * COLUMN_CHARS;
    const x1 = (w.x + w.width) * COLUMN_CHARS;
    const y0 = top(w.y);
    const y1 = y0 + heightOf(w) - 1;
    for (let x = x0; x <= x1; x++) {
      grid[y0][x] = x === x0 || x === x1 ? '+' : '-';
      grid[y1][x] = x === x0 || x === x1 ? '+' : '-';
    }
    for (let y = y0 + 1; y < y1; y++) {
      grid[y][x0] = '|';
      grid[y][x1] = '|';
    }
    const label = (w.properties.title ?? w.properties.markdown ?? w.type).replace(/^#+\s*/, '').replace(/\s+/g, ' ');
    const room = x1 - x0 - 3;
    const shown = label.length > room ? `${label.slice(0, room - 1)}…` : label;
    for (let i = 0; i < shown.length; i++) grid[y0 + 1][x0 + 2 + i] = shown[i];
    const kind = w.type === 'metric' ? graphKind(w) : w.type === 'alarm' ? 'alarm states' : '';
    if (kind && y0 + 2 < y1 && kind.length <= room) {
      for (let i = 0; i < kind.length; i++) grid[y0 + 2][x0 + 2 + i] = kind[i];
    }
  }
  return grid.map((row) => row.join('').trimEnd()).join('\n');
}

function graphKind(w: Widget): string {
  const view = (w.properties as { view?: string }).view;
  return view === 'singleValue' ? 'number' : 'graph';
}

/** Markdown table of the alarms a construct created: name, when it fires, and what to do. */
export function alarmTable(stack: Stack, alarms: readonly cloudwatch.IAlarm[]): string {
  const template = stackTemplate(stack);
  const rows = alarms.map((alarm) => {
    const resource = alarm.node.defaultChild as cloudwatch.CfnAlarm | cloudwatch.CfnCompositeAlarm;
    const props = template.Resources[stack.getLogicalId(resource)].Properties;
    const name = alarm.node.id;
    const description = String(props.AlarmDescription ?? '').replace(/\|/g, '\\|');
    return `| ${name} | ${firesWhen(props)} | ${description} |`;
  });
  return ['| Alarm | Fires when | What it means and what to do |', '|---|---|---|', ...rows].join('\n');
}

function firesWhen(props: Record<string, any>): string {
  if (props.AlarmRule !== undefined) return `composite: ${text(props.AlarmRule).replace(/<[^>]+>/g, 'alarm')}`;
  const comparison = COMPARISONS[props.ComparisonOperator] ?? props.ComparisonOperator;
  const periods = props.EvaluationPeriods;
  let what: string;
  let period: number;
  if (props.Metrics) {
    const returned = (props.Metrics as any[]).find((m) => m.ReturnData !== false) ?? props.Metrics[0];
    what = returned.Label ?? returned.Expression ?? returned.MetricStat?.Metric?.MetricName;
    period = returned.Period ?? (props.Metrics as any[]).find((m) => m.MetricStat)?.MetricStat.Period;
  } else {
    what = `${props.MetricName} (${props.ExtendedStatistic ?? props.Statistic})`;
    period = props.Period;
  }
  const minutes = (periods * period) / 60;
  return `${what} ${comparison} ${props.Threshold} for ${minutes} min`.replace(/\|/g, '\\|');
}

const templates = new WeakMap<Stack, any>();
function stackTemplate(stack: Stack): any {
  let t = templates.get(stack);
  if (!t) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Template } = require('aws-cdk-lib/assertions');
    t = Template.fromStack(stack).toJSON();
    templates.set(stack, t);
  }
  return t;
}
