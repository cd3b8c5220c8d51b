package main

// The checks every consumer app makes after synthesizing a unit, against expectations.json: no
// validation finding, the resource count per stack and type, and each Lambda function's code
// staged in the cloud assembly.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

type expectations struct {
	BadInput badInput                   `json:"badInput"`
	Units    map[string]unitExpectation `json:"units"`
}

type badInput struct {
	Construct       string   `json:"construct"`
	MinCapacity     float64  `json:"minCapacity"`
	MaxCapacity     float64  `json:"maxCapacity"`
	MessageContains []string `json:"messageContains"`
}

type unitExpectation struct {
	Stacks          map[string]map[string]int `json:"stacks"`
	LambdaFunctions int                       `json:"lambdaFunctions"`
}

func loadExpectations(file string) (*expectations, error) {
	var e expectations
	if err := readJSON(file, &e); err != nil {
		return nil, err
	}
	if len(e.Units) == 0 || len(e.BadInput.MessageContains) == 0 {
		return nil, fmt.Errorf("%s has no units or no badInput.messageContains", file)
	}
	return &e, nil
}

func readJSON(file string, v interface{}) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// results counts the checks; each failure is printed at once with what was checked.
type results struct{ passed, failed int }

func (r *results) pass() { r.passed++ }

func (r *results) fail(what, format string, args ...interface{}) {
	r.failed++
	fmt.Printf("go: FAIL %s: %s\n", what, fmt.Sprintf(format, args...))
}

// checkValidationReport fails on any violation in <outdir>/validation-report.json (CloudFormation
// Validate, cdk-nag), listing rule, construct path and description.
func (r *results) checkValidationReport(unit, outdir string) {
	file := filepath.Join(outdir, "validation-report.json")
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return
	}
	var report struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Violations []struct {
				RuleName            string `json:"ruleName"`
				Description         string `json:"description"`
				Severity            string `json:"severity"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	what := unit + ": " + file
	if err := readJSON(file, &report); err != nil {
		r.fail(what, "%v", err)
		return
	}
	var found []string
	for _, plugin := range report.PluginReports {
		for _, v := range plugin.Violations {
			paths := make([]string, 0, len(v.ViolatingConstructs))
			for _, c := range v.ViolatingConstructs {
				paths = append(paths, c.ConstructPath)
			}
			found = append(found, fmt.Sprintf("[%s] %s %s  %s\n      %s",
				plugin.PluginName, v.Severity, v.RuleName, strings.Join(paths, ", "), firstLine(v.Description)))
		}
	}
	if len(found) > 0 {
		r.fail(what, "%d violation(s):\n    %s", len(found), strings.Join(found, "\n    "))
		return
	}
	r.pass()
}

type template struct {
	Resources map[string]struct {
		Type       string                 `json:"Type"`
		Properties map[string]interface{} `json:"Properties"`
	} `json:"Resources"`
}

func readTemplate(outdir, stack string) (*template, error) {
	var t template
	if err := readJSON(filepath.Join(outdir, stack+".template.json"), &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// checkStacks holds each expected stack's template to the whole map of resource counts by type.
func (r *results) checkStacks(unit, outdir string, want map[string]map[string]int) {
	for _, stack := range sortedKeys(want) {
		what := unit + "/" + stack
		t, err := readTemplate(outdir, stack)
		if err != nil {
			r.fail(what, "%v", err)
			continue
		}
		got := map[string]int{}
		for _, res := range t.Resources {
			got[res.Type]++
		}
		var diffs []string
		for _, typ := range sortedKeys(union(got, want[stack])) {
			if got[typ] != want[stack][typ] {
				diffs = append(diffs, fmt.Sprintf("%s: expected %d, got %d", typ, want[stack][typ], got[typ]))
			}
		}
		if len(diffs) > 0 {
			r.fail(what, "resource counts differ from expectations.json:\n    %s", strings.Join(diffs, "\n    "))
			continue
		}
		r.pass()
	}
	// No stack beyond the expected ones.
	templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json"))
	var extra []string
	for _, file := range templates {
		if name := strings.TrimSuffix(filepath.Base(file), ".template.json"); want[name] == nil {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		r.fail(unit, "stacks not in expectations.json: %s", strings.Join(extra, ", "))
		return
	}
	r.pass()
}

var assetKey = regexp.MustCompile(`^([0-9a-f]{64})\.zip$`)

// checkLambdaFunctions counts the unit's AWS::Lambda::Function resources and, for each one whose
// Code.S3Key is an asset's `<hash>.zip`, requires the asset's staged copy in the cloud assembly to
// hold at least one file. The staged copy is the path the stack's asset manifest gives for that hash
// (the library's handlers stage as `asset.<hash>.lambda`, its source folder's extension kept), else
// `asset.<hash>`.
func (r *results) checkLambdaFunctions(unit, outdir string, want unitExpectation) {
	what := unit + ": Lambda functions"
	count := 0
	var problems []string
	for _, stack := range sortedKeys(want.Stacks) {
		t, err := readTemplate(outdir, stack)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		staged, err := stagedAssets(outdir, stack)
		if err != nil {
			problems = append(problems, err.Error())
		}
		for _, id := range sortedKeys(t.Resources) {
			res := t.Resources[id]
			if res.Type != "AWS::Lambda::Function" {
				continue
			}
			count++
			code, _ := res.Properties["Code"].(map[string]interface{})
			key, _ := code["S3Key"].(string)
			m := assetKey.FindStringSubmatch(key)
			if m == nil {
				continue
			}
			path, ok := staged[m[1]]
			if !ok {
				path = "asset." + m[1]
			}
			if dir := filepath.Join(outdir, path); !holdsAFile(dir) {
				problems = append(problems, fmt.Sprintf("%s/%s: its code %s is not staged: %s holds no file", stack, id, key, dir))
			}
		}
	}
	if count != want.LambdaFunctions {
		problems = append(problems, fmt.Sprintf("expected %d AWS::Lambda::Function, got %d", want.LambdaFunctions, count))
	}
	if len(problems) > 0 {
		r.fail(what, "%s", strings.Join(problems, "\n    "))
		return
	}
	r.pass()
}

// stagedAssets maps each file asset's hash to its path in the cloud assembly, from
// <outdir>/<stack>.assets.json.
func stagedAssets(outdir, stack string) (map[string]string, error) {
	var manifest struct {
		Files map[string]struct {
			Source struct {
				Path string `json:"path"`
			} `json:"source"`
		} `json:"files"`
	}
	if err := readJSON(filepath.Join(outdir, stack+".assets.json"), &manifest); err != nil {
		return nil, err
	}
	paths := map[string]string{}
	for hash, file := range manifest.Files {
		paths[hash] = file.Source.Path
	}
	return paths, nil
}

func holdsAFile(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// checkUnitNames fails when expectations.json names a unit this app does not build.
func (r *results) checkUnitNames(built []string, e *expectations, file string) {
	var unknown []string
	for _, name := range sortedKeys(e.Units) {
		if !slices.Contains(built, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		r.fail("units", "%s names units this app does not build: %s", file, strings.Join(unknown, ", "))
		return
	}
	r.pass()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func union(a, b map[string]int) map[string]int {
	u := map[string]int{}
	for k := range a {
		u[k] = 0
	}
	for k := range b {
		u[k] = 0
	}
	return u
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
