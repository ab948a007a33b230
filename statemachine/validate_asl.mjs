// Three npm validators of Amazon States Language files, through their JavaScript APIs, in one
// Node process (each CLI would start Node again per file):
// - asl-validator: its JSON schema plus JSONPath and ARN checks (what its CLI runs);
// - @wmfs/statelint: the states-language specification's rules (a port of AWS's statelint);
// - amazon-states-language-service: what the AWS Toolkit's editor reports (its schema, state
//   references, reachability, paths, intrinsic functions). The editor shows schema findings as
//   warnings; here every finding counts.
//
//   node statemachine/validate_asl.mjs FILE...
//
// Prints {"<file>": {"<validator>": ["<finding>", ...]}} as JSON; exits 1 when there is any.

import { readFileSync } from 'node:fs';
import stateLint from '@wmfs/statelint';
import languageService from 'amazon-states-language-service';
import aslValidator from 'asl-validator';

const toolkit = languageService.getLanguageService({});

async function toolkitFindings(path, text) {
  const document = languageService.TextDocument.create(`file://${path}`, 'json', 1, text);
  const diagnostics = await toolkit.doValidation(document, toolkit.parseJSONDocument(document));
  return diagnostics.map(({ range, message }) => `line ${range.start.line + 1}: ${message}`);
}

const report = {};
for (const path of process.argv.slice(2)) {
  const text = readFileSync(path, 'utf8');
  // Each validator parses its own copy: asl-validator writes defaults (QueryLanguage) into it.
  const schema = aslValidator(JSON.parse(text), { checkArn: true, checkPaths: true });
  report[path] = {
    'asl-validator': schema.errors.map((e) => `${e['Error code']}: ${e.Message}`),
    '@wmfs/statelint': stateLint().validate(JSON.parse(text)),
    'amazon-states-language-service': await toolkitFindings(path, text),
  };
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
const findings = Object.values(report).flatMap((byValidator) => Object.values(byValidator).flat());
process.exit(findings.length === 0 ? 0 : 1);
