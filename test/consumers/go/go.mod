// The Go consumer app of cdk-ha-patterns. This file holds no version on purpose: run.sh copies the
// app into a temporary work dir and there sets, with `go mod edit`,
//   - aws-cdk-go/awscdk/v2 and constructs-go/constructs/v10 to the versions test/consumers/versions.js
//     reads from package.json (the versions the TypeScript build pins),
//   - a replace of github.com/cdk-ha-patterns/cdk-ha-patterns-go/cdkhapatterns to dist/go/cdkhapatterns
//     (the module `npx projen package:go` generates, jsii tarball embedded),
//   - a replace of github.com/cdklabs/cdk-nag-go/cdknag/v3 to a binding jsii-pacmak generates from
//     node_modules/cdk-nag: the Go module proxy serves no cdk-nag v3 for Go at any version,
// then runs `go mod tidy` (minimal version selection may raise a version above the one asked, when a
// dependency requires more: aws-cdk-go v2.263.0 requires constructs-go v10.6.0). Nothing here needs
// editing when those versions move.
module cdkhapatterns-consumer

go 1.25
