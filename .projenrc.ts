import { awscdk, javascript, ReleasableCommits } from 'projen';

// One version of aws-cdk-lib, constructs and cdk-nag for every language: the TypeScript tests run on
// these and the Python, Java and Go consumer apps (test/consumers/) install these same versions from
// their own registries (test/consumers/versions.js reads them from package.json). aws-cdk-lib 2.263.0
// is the newest release that npm, PyPI, Maven Central (its maven-metadata.xml, which Maven reads to
// resolve the version range in our pom) and the Go module proxy all serve here; it is also the peer
// minimum, so no user in any language is asked for a release their registry does not have.
const cdkVersion = '2.263.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-ha-patterns',
  description:
    'AWS CDK L3 constructs for classic high-availability patterns: a multi-AZ web app behind an ALB, an Elastic IP that fails over, blue/green Elastic Beanstalk environments and a database that outlives them. Secure by default, cdk-nag clean.',
  author: 'cdk-ha-patterns',
  authorAddress: 'cdk-ha-patterns@users.noreply.github.com',
  authorOrganization: true,
  repositoryUrl: 'https://github.com/cdk-ha-patterns/cdk-ha-patterns',
  homepage: 'https://github.com/cdk-ha-patterns/cdk-ha-patterns',
  license: 'Apache-2.0',
  copyrightOwner: 'The cdk-ha-patterns authors',
  stability: 'experimental',
  keywords: [
    'cdk',
    'awscdk',
    'aws-cdk',
    'cdk-construct',
    'high-availability',
    'multi-az',
    'failover',
    'elastic-ip',
    'elastic-beanstalk',
    'blue-green',
    'alb',
    'autoscaling',
    'rds',
    'cdk-nag',
  ],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  prettier: true,
  prettierOptions: {
    settings: { singleQuote: true, printWidth: 120, trailingComma: javascript.TrailingComma.ALL },
  },
  cdkVersion,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  integrationTestAutoDiscover: false,
  releasableCommits: ReleasableCommits.featuresAndFixes(),

  publishToPypi: { distName: 'cdk-ha-patterns', module: 'cdk_ha_patterns' },
  publishToMaven: {
    javaPackage: 'io.github.cdkhapatterns',
    mavenGroupId: 'io.github.cdk-ha-patterns',
    mavenArtifactId: 'cdk-ha-patterns',
  },
  publishToNuget: { dotNetNamespace: 'CdkHaPatterns', packageId: 'CdkHaPatterns' },
  publishToGo: { moduleName: 'github.com/cdk-ha-patterns/cdk-ha-patterns-go' },

  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    bundlingOptions: { externals: ['@aws-sdk/*'], sourcemap: false },
  },

  devDeps: [
    'cdk-nag@3.0.2',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/integ-runner',
    'aws-sdk-client-mock',
    'aws-sdk-client-mock-jest',
    '@aws-sdk/client-ec2',
    '@aws-sdk/client-sns',
    '@aws-sdk/client-auto-scaling',
    '@aws-sdk/client-elastic-beanstalk',
    '@aws-sdk/client-cloudwatch',
    '@aws-sdk/client-cloudformation',
    // The verifier's data marker (Run Command on the instance that holds the data volume).
    '@aws-sdk/client-ssm',
    '@types/aws-lambda',
    // The SDK clients' retry strategy with a configurable backoff (bundled into the handlers).
    '@smithy/core@^3.41.1',
    // The engine of `cdk diff`: tells, from the CloudFormation resource specification, which
    // template changes replace a resource (test/update-safety/).
    '@aws-cdk/cloudformation-diff',
  ],

  jestOptions: {
    // Snapshots are compared, never rewritten, by `npx projen test` (and so by CI); `npx projen
    // test:update` rewrites them on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
      // Keeps every template the tests synthesize in .templates/unit, for cfn-lint.
      globalSetup: '<rootDir>/test/global-setup.ts',
      testTimeout: 120_000,
    },
  },
  tsconfigDevFile: 'tsconfig.dev.json',
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'projenrc'],
    projectService: false,
    tsconfigPath: './tsconfig.dev.json',
  },
  tsconfigDev: { include: ['.projenrc.ts', 'examples/**/*.ts', 'bench/**/*.ts'], compilerOptions: {} },
  gitignore: [
    'cdk.out',
    'cdk-integ.out.*',
    'test/**/*.snapshot/**/asset.*',
    '/bench/out',
    '/.jsii-pacmak',
    '/.rosetta',
    '.jsii.tabl.json',
    '/.venv-tools',
    '/.venv-checkov',
    '/.compliance',
    '/.templates',
  ],
  npmignoreEnabled: true,
});

// Shared by the eip-failover Lambda handlers (bundled with them, never imported by the library's
// entry point), so it may import the AWS SDK that the Lambda runtime provides, as the handlers do.
project.eslint?.allowDevDeps('src/eip-failover/data-lineage.ts');
project.eslint?.allowDevDeps('src/eip-failover/handler-support.ts');
project.eslint?.allowDevDeps('src/eip-failover/decisions.ts');

// Dependencies inside the library point one way (construct -> strategy -> implementations -> leaf
// modules): an import cycle anywhere under src/ fails the lint.
project.eslint?.addOverride({ files: ['src/**/*.ts'], rules: { 'import/no-cycle': ['error'] } });

// Keep jsii quiet and offline in every task (no support look-up, no Node 20 end-of-life banner).
project.tasks.addEnvironment('JSII_SILENCE_SUPPORT_WARNING', '1');
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');

// Every exported type and member documented, optional props with @default, constructs with @example.
project.postCompileTask.exec('node scripts/check-api-docs.js');

// jsii: names that are reserved words in another jsii language are errors, not silenced warnings.
project.compileTask.reset('jsii --fail-on-warnings');
project.tasks.tryFind('watch')?.reset('jsii -w --fail-on-warnings');

// README and doc-comment examples must compile: rosetta extracts and type-checks them after compile.
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile every README and doc-comment example against rosetta/default.ts-fixture',
  exec: 'jsii-rosetta extract --strict --compile --fail',
});
project.postCompileTask.spawn(rosetta);
// README shows each TypeScript example with its Python translation (from the rosetta tablet); the
// build fails when they are out of date, `npx projen readme` rewrites them.
rosetta.exec('node scripts/readme-translations.js --check');
// The Python, Java and Go quick starts in the README are the consumer apps' files (test/consumers/).
rosetta.exec('node scripts/readme-quickstarts.js --check');
const readme = project.addTask('readme', { description: 'Write the Python translation after every README example' });
readme.spawn(project.compileTask);
readme.exec('jsii-rosetta extract --strict --compile --fail');
readme.exec('node scripts/readme-translations.js');
readme.exec('node scripts/readme-quickstarts.js');

// `npx projen example`: synthesize the example app offline with every check on.
const example = project.addTask('example', {
  description: 'Synthesize examples/ with CloudFormation Validate and cdk-nag; print resources and findings',
});
// The Lambda handlers are bundled into assets/ at build time; a fresh clone has none yet.
example.spawn(project.tasks.tryFind('bundle')!);
example.exec('ts-node --project tsconfig.dev.json examples/main.ts');

// Integration tests: snapshot check and (offline) snapshot update.
// The newest integ-runner on the registry bundles cloud assembly schema 53 and refuses the schema 55
// manifests aws-cdk-lib 2.276 writes; scripts/integ-runner-schema-compat.js raises the revision it
// accepts (see the script for why that is safe in snapshot mode). Remove it when integ-runner catches up.
const integCompat = 'node scripts/integ-runner-schema-compat.js';
const integ = project.addTask('integ', {
  description: 'Check every test/integ/integ.*.ts against its committed snapshot (no deploy)',
});
integ.exec(integCompat);
integ.exec('integ-runner --language typescript --directory test/integ --parallel-regions eu-west-1');
const integUpdate = project.addTask('integ:update', {
  description: 'Rewrite integ snapshots offline (dry run: never deploys)',
});
integUpdate.exec(integCompat);
integUpdate.exec(
  'integ-runner --language typescript --directory test/integ --parallel-regions eu-west-1 --update-on-failed --dry-run',
);
project.testTask.spawn(integ);
// Tests synthesize the constructs, whose Lambda code is bundled into assets/: bundle first, so
// `npx projen test` works on a fresh clone too.
project.testTask.prependSpawn(project.tasks.tryFind('bundle')!);

// Python tools the checks run (cfn-lint; moto's server for the handler tests against an emulated
// AWS API), pinned in scripts/python-tools.txt and installed into .venv-tools on first use.
const pythonTools = project.addTask('python-tools', {
  description: 'Install the pinned Python tools (cfn-lint, moto server) into .venv-tools',
  exec: 'bash scripts/python-tools.sh',
});
project.testTask.prependSpawn(pythonTools);

// checkov, pinned with everything it pulls in (scripts/checkov-tools.txt), in a venv of its own.
const checkovTools = project.addTask('checkov-tools', {
  description: 'Install the pinned checkov into .venv-checkov',
  exec: 'bash scripts/python-tools.sh .venv-checkov scripts/checkov-tools.txt',
});
// The compliance tests run checkov over synthesized templates: installed before them, never skipped.
project.testTask.prependSpawn(checkovTools);
// `npx projen compliance`: the examples and the hand-written lab under cdk-nag's AwsSolutions, NIST
// 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs and checkov; a table per construct and pack.
const compliance = project.addTask('compliance', {
  description: 'cdk-nag compliance packs and checkov over the examples: findings and acknowledgements per construct',
});
compliance.spawn(project.tasks.tryFind('bundle')!);
compliance.spawn(checkovTools);
compliance.exec('ts-node --project tsconfig.dev.json examples/compliance.ts');

// cfn-lint over every template the unit tests (test/global-setup.ts keeps them in .templates/unit), the
// integ snapshots and the example app synthesize; rules ignored are listed in .cfnlintrc.yaml.
const cfnLint = project.addTask('cfn-lint', {
  description: 'Lint every template the tests, integ snapshots and example synthesize (run after test and example)',
});
cfnLint.spawn(pythonTools);
cfnLint.exec('bash scripts/cfn-lint.sh');

// Shell scripts (CI, tools, user data the constructs ship) pass shellcheck (Debian package `shellcheck`).
project.addTask('shellcheck', {
  description: 'Lint every shell script with shellcheck',
  exec: 'bash scripts/shellcheck.sh',
});

// jsii-pacmak writes the npm-resolved version of each transitive jsii dependency into the Go module's
// go.mod. The Go module proxy serves @aws-cdk/cloud-assembly-schema's Go binding (v54) whole (its .zip and its checksum-database entry) at 54.11.0, not
// at the 54.26.0 npm would pick, so the resolution is held at 54.11.0 (aws-cdk-lib 2.263.0
// asks for ^54.11.0) and `go mod tidy` in package:go can fetch every module the go.mod names.
project.package.addField('overrides', { '@aws-cdk/cloud-assembly-schema': '54.11.0' });

// Real packages for every language this machine can build: the npm tarball, the Python wheel and
// sdist, the Maven jar (with its sources and javadoc jars) and the Go module, each by projen's own
// package:<language> task, on CI as on a laptop (projen's default builds only package:js when CI is
// set, because its release workflow packages the other languages in jobs of their own; we have no
// such jobs). .NET is left out: package:dotnet needs the .NET SDK, which no machine here has, so its
// code is only generated (the codegen task below).
const packageAll = project.tasks.tryFind('package-all')!;
packageAll.reset();
packageAll.description = 'Packages the npm, Python, Java and Go artifacts (.NET: code generation only, see codegen)';
for (const language of ['js', 'python', 'java', 'go']) packageAll.spawn(project.tasks.tryFind(`package:${language}`)!);
project.packageTask.reset();
project.packageTask.spawn(packageAll);

// Every jsii language: generate Python, Java, .NET and Go offline and byte-compile the Python.
const codegen = project.addTask('codegen', {
  description: 'Generate Python, Java, .NET and Go bindings offline (jsii-pacmak --code-only); byte-compile the Python',
});
codegen.exec('bash scripts/codegen-check.sh');

// Consumer apps: the packages the build made, installed and used by a real CDK app in Python, Java
// and Go (test/consumers/<language>/run.sh), each checked against test/consumers/expectations.json.
const consumers = project.addTask('consumers', {
  description: 'Run the Python, Java and Go consumer apps against the packages in dist/ (run after package)',
});
for (const [language, what] of [
  ['python', 'wheel from dist/python in a fresh venv, mypy --strict, synth and checks'],
  ['java', 'jar from dist/java with Maven, synth and checks'],
  ['go', 'module from dist/go, go vet, build, synth and checks'],
]) {
  consumers.spawn(
    project.addTask(`consumers:${language}`, {
      description: `Consumer app in ${language}: ${what}`,
      exec: `bash test/consumers/${language}/run.sh`,
    }),
  );
}

// Architecture pictures: docs/diagrams/*.dot (Graphviz, Debian package `graphviz`) -> docs/images/*.png.
project.addTask('diagrams', {
  description: 'Render docs/diagrams/*.dot to docs/images/*.png (needs Graphviz `dot`)',
  exec: 'bash scripts/render-diagrams.sh',
});

// `npx projen bench`: the library versus the same architecture written by hand.
const bench = project.addTask('bench', {
  description: 'Synthesize HighlyAvailableWebApp and a hand-written L2 equivalent, compare CPU and lines',
});
bench.spawn(project.compileTask);
bench.exec('ts-node --project tsconfig.dev.json bench/run.ts');

for (const p of ['/examples', '/bench', '/rosetta', '/.ci', '/scripts', '/docs/diagrams', 'cdk.out', '/test']) {
  project.npmignore?.exclude(p);
}

project.synth();
