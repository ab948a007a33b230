// Runs the test cases of a Step Functions Local mock configuration in a second, independent ASL
// interpreter: the npm package aws-local-stepfunctions (pinned in package.json).
//
//   node tests/second_interpreter/run_cases.mjs request.json    (or the request on stdin)
//
// The request is one JSON document:
//   {"definition": <rendered ASL, text or object>, "mock_config": <MockConfigFile>,
//    "state_machine_name": "...", "state_machine_arn": "arn:aws:states:...:stateMachine:...",
//    "role_arn": "..." (optional), "cases": [{"case": "<test case>", "input": <input>}, ...]}
// It prints one JSON document: per case its status, error, cause, output, the states entered
// (nested ones included), the invocations of every Task state (retries included), the inputs of
// the Lambda function invocations, and `problems`, what the runner itself found wrong (a Task
// without a mocked answer, an invocation past the last answer ...); besides, `adjustments` (how
// the definition was adapted to the library, meaning unchanged) and `caveats` (what the library
// cannot give as Step Functions does, where the definition relies on it). Nothing here knows
// which workflow it runs: every Task state answers from the mock config, as in Step Functions
// Local, each case in an execution of its own, one after the other.
//
// Exit status: 0 when every case ran (whether it succeeded or failed), 2 when the request is
// unusable (a case the mock config does not define, a definition the library refuses).

import { readFileSync } from 'node:fs';
import { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3.0.0 declares Node >= 22 and calls Promise.withResolvers (new in
// Node 22) in every Task state; keywarden supports Node 20, so supply the standard definition.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const LIBRARY = 'aws-local-stepfunctions';
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;

/** A failure of the test case itself (not of the workflow): no Retry or Catch may absorb it. */
class MockedCaseError extends Error {
  constructor(message) {
    super(message);
    // Step Functions Local fails the execution with States.Runtime when a case has no answer.
    this.name = 'States.Runtime';
    // aws-local-stepfunctions reads these two flags before matching Retry and Catch.
    this.isRetryable = false;
    this.isCatchable = false;
  }
}

/** A mocked `Throw`: the library matches ErrorEquals on `name` and reports `message` as the Cause. */
class MockedThrow extends Error {
  constructor(error, cause) {
    super(cause);
    this.name = error;
  }
}

function readRequest() {
  const source = process.argv[2] && process.argv[2] !== '-' ? process.argv[2] : 0; // 0: stdin
  return JSON.parse(readFileSync(source, 'utf8'));
}

/** Every state of a definition, nested ones included (Map item processors, Parallel branches). */
function* allStates(machine) {
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    yield [name, state];
    for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      if (inner) yield* allStates(inner);
    }
  }
}

/** "0", "1-2" -> one answer per invocation, numbered from 0 without gaps or overlaps. */
function expandAnswers(responseName, response) {
  const ranges = Object.entries(response ?? {}).map(([key, answer]) => {
    const match = /^(\d+)(?:-(\d+))?$/.exec(key);
    if (!match) throw new Error(`mocked response ${responseName}: invocation key '${key}' is not N or N-M`);
    return { first: Number(match[1]), last: Number(match[2] ?? match[1]), answer };
  });
  ranges.sort((a, b) => a.first - b.first);
  const answers = [];
  for (const { first, last, answer } of ranges) {
    if (first !== answers.length || last < first) {
      throw new Error(`mocked response ${responseName}: invocations must be numbered from 0 without gaps`);
    }
    for (let n = first; n <= last; n++) answers.push(answer);
  }
  if (answers.length === 0) throw new Error(`mocked response ${responseName} answers no invocation`);
  return answers;
}

function mockedAnswers(mockConfig, machineName, caseName) {
  const testCase = mockConfig.StateMachines?.[machineName]?.TestCases?.[caseName];
  if (!testCase) throw new Error(`the mock config has no test case ${machineName}#${caseName}`);
  return Object.fromEntries(
    Object.entries(testCase).map(([state, responseName]) => {
      if (!(responseName in (mockConfig.MockedResponses ?? {}))) {
        throw new Error(`test case ${caseName}: state ${state} uses unknown mocked response ${responseName}`);
      }
      return [state, expandAnswers(responseName, mockConfig.MockedResponses[responseName])];
    }),
  );
}

/**
 * The definition as aws-local-stepfunctions must get it to mean what the ASL means (two library
 * gaps, each exactly equivalent per the ASL specification), and a note per change.
 */
function adjustForLibrary(definition) {
  const adjusted = structuredClone(definition);
  const notes = [];
  for (const [name, state] of allStates(adjusted)) {
    // The library stores a result under a key named "$" for `ResultPath: "$"`; an absent
    // ResultPath means "$" (the result replaces the input).
    for (const [where, holder] of [['', state], ...(state.Catch ?? []).map((c, i) => [` Catch[${i}]`, c])]) {
      if (holder.ResultPath === '$') {
        delete holder.ResultPath;
        notes.push(
          `${name}${where}: ResultPath "$" omitted (same meaning; ${LIBRARY} writes the result under a key "$")`,
        );
      }
    }
    // AWS evaluates intrinsic functions in a Fail state's ErrorPath/CausePath; the library only
    // queries JSONPath there. It applies Parameters to every state type, so the same intrinsic
    // is evaluated on the Fail state's input by its own Parameters code, then read back.
    const dynamic = ['ErrorPath', 'CausePath'].filter((f) => String(state[f] ?? '').startsWith('States.'));
    if (state.Type === 'Fail' && dynamic.length > 0) {
      state.Parameters = {};
      for (const field of ['ErrorPath', 'CausePath']) {
        if (state[field] === undefined) continue;
        const key = field.replace('Path', '');
        state.Parameters[`${key}.$`] = state[field];
        state[field] = `$.${key}`;
      }
      notes.push(
        `${name}: intrinsic function in ${dynamic.join(' and ')} evaluated through Parameters ` +
          `(${LIBRARY} queries it as a JSONPath)`,
      );
    }
  }
  return { adjusted, notes };
}

/** What a mocked `Return` becomes as the state's result (before ResultSelector); throws for errors. */
function taskResult(resource, answer, stateName, record) {
  if (!LAMBDA_FUNCTION_ARN.test(resource) && resource !== 'arn:aws:states:::lambda:invoke') {
    return answer; // aws-sdk and optimised integrations: the API's response, as mocked
  }
  // For Lambda the mock is the Invoke API's response ({"StatusCode": 200, "Payload": ...}).
  if (answer === null || typeof answer !== 'object' || !('Payload' in answer)) {
    return fail(record, `the mocked answer of Lambda Task ${stateName} has no Payload (Invoke's response)`);
  }
  if (answer.FunctionError) {
    const payload = answer.Payload ?? {};
    throw new MockedThrow(payload.errorType ?? 'Lambda.Unknown', JSON.stringify(payload));
  }
  // A function ARN as Resource gives the function's payload; lambda:invoke the whole response.
  return LAMBDA_FUNCTION_ARN.test(resource) ? answer.Payload : answer;
}

/** One test case's Task handlers: every Task state answers from the case, in invocation order. */
function handlersFor(caseName, taskStates, answers, record) {
  const handlers = {};
  for (const [stateName, resource] of taskStates) {
    handlers[stateName] = (input) => {
      // One counter per state for the whole execution: retries, loops and Map iterations
      // take the next answer, as in Step Functions Local.
      const number = record.attempts[stateName] ?? 0;
      record.attempts[stateName] = number + 1;
      if (LAMBDA_FUNCTION_ARN.test(resource)) record.lambda_inputs.push([stateName, input]);
      const stateAnswers = answers[stateName];
      if (!stateAnswers) {
        return fail(record, `no mocked answer for Task ${stateName} (the second interpreter has no AWS behind it)`);
      }
      if (number >= stateAnswers.length) {
        return fail(
          record,
          `test case ${caseName} has no mocked answer for invocation ${number} of Task ${stateName} ` +
            `(it defines ${stateAnswers.length})`,
        );
      }
      const answer = stateAnswers[number];
      if (answer.Throw) throw new MockedThrow(answer.Throw.Error, answer.Throw.Cause);
      return taskResult(resource, structuredClone(answer.Return), stateName, record);
    };
  }
  return handlers;
}

function fail(record, problem) {
  record.problems.push(problem);
  throw new MockedCaseError(problem);
}

/** The Context Object of one execution, as Step Functions gives it (the library adds Input, StartTime). */
function contextFor(request, caseName) {
  const machineArn = request.state_machine_arn;
  const executionArn = `${machineArn.replace(':stateMachine:', ':execution:')}:${caseName}`;
  const execution = { Id: executionArn, Name: caseName };
  if (request.role_arn) execution.RoleArn = request.role_arn;
  return {
    executionArn,
    context: {
      Execution: execution,
      StateMachine: { Id: machineArn, Name: request.state_machine_name },
      // The library gives no State object; EnteredTime is read as the state's paths are
      // evaluated, right after it is entered (Step Functions' format: milliseconds and a Z).
      // The object is shared by reference with Map iterations and Parallel branches.
      State: {
        get EnteredTime() {
          return new Date().toISOString();
        },
      },
    },
  };
}

/** What this interpreter cannot give as Step Functions does, where the definition relies on it. */
function caveatsOf(definition) {
  const caveats = [];
  const innerMachines = [...allStates(definition)].flatMap(([, s]) =>
    [s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])].filter(Boolean),
  );
  for (const inner of innerMachines) {
    for (const [name, state] of Object.entries(inner.States)) {
      if (JSON.stringify(state).includes('$$.Execution.Input')) {
        caveats.push(
          `${name} reads $$.Execution.Input inside a Map iteration or Parallel branch: ${LIBRARY} ` +
            "gives that iteration's or branch's input there, Step Functions the execution's input",
        );
      }
    }
  }
  for (const [name, state] of allStates(definition)) {
    if (state.Type === 'Fail' && !('Cause' in state || 'CausePath' in state)) {
      caveats.push(`${name} has no Cause: ${LIBRARY} reports "Execution failed because of a Fail state"`);
    }
    if (state.Type === 'Fail' && !('Error' in state || 'ErrorPath' in state)) {
      caveats.push(`${name} has no Error: ${LIBRARY} reports the error "FailStateError"`);
    }
  }
  return caveats;
}

async function collectEvents(eventLogs, record) {
  for await (const event of eventLogs) {
    if (event.type === 'StateEntered') record.path.push(event.state.name);
  }
}

async function runCase(request, machine, states, { case: caseName, input }, answers) {
  const record = { attempts: {}, lambda_inputs: [], path: [], problems: [] };
  const { executionArn, context } = contextFor(request, caseName);
  const execution = machine.run(input, {
    context,
    overrides: {
      taskResourceLocalHandlers: handlersFor(caseName, states.tasks, answers, record),
      // Waits and retry back-offs take no time: the cases are about paths, not latency. (An
      // overridden Wait does not read its SecondsPath/TimestampPath: those go unchecked here.)
      waitTimeOverrides: Object.fromEntries(states.waits.map((name) => [name, 0])),
      retryIntervalOverrides: Object.fromEntries(states.retrying.map((name) => [name, 0])),
    },
  });
  const events = collectEvents(execution.eventLogs, record);
  let outcome;
  try {
    outcome = { status: 'SUCCEEDED', error: null, cause: null, output: await execution.result };
  } catch (failure) {
    if (failure instanceof ExecutionTimeoutError) {
      outcome = { status: 'TIMED_OUT', error: 'States.Timeout', cause: null, output: null };
    } else if (failure instanceof ExecutionError) {
      // The state's error: a Fail state's Error and Cause, a mocked Throw, a States.* error.
      const { name, message } = failure.cause;
      outcome = { status: 'FAILED', error: name, cause: message ?? null, output: null };
    } else {
      throw failure;
    }
  }
  await events;
  for (const [state, count] of Object.entries(record.attempts)) {
    // A Task invoked but never seen entered: the library's event log lost nested events.
    if (!record.path.includes(state)) {
      record.problems.push(`Task ${state} was invoked ${count} time(s) but its StateEntered event is missing`);
    }
  }
  return { execution_arn: executionArn, ...outcome, ...record };
}

function refuse(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main() {
  const request = readRequest();
  const definition = typeof request.definition === 'string' ? JSON.parse(request.definition) : request.definition;
  let answers;
  try {
    answers = request.cases.map(({ case: caseName }) =>
      mockedAnswers(request.mock_config, request.state_machine_name, caseName),
    );
  } catch (error) {
    refuse(`the mock config cannot run the request: ${error.message}`);
  }
  try {
    // The library's own validation (asl-validator with JSONPath and ARN checks), on the ASL as written.
    new StateMachine(definition);
  } catch (error) {
    refuse(`${LIBRARY} refuses the definition: ${error.message}`);
  }
  const { adjusted, notes } = adjustForLibrary(definition);
  const machine = new StateMachine(adjusted, { validationOptions: { noValidate: true } });
  const all = [...allStates(adjusted)];
  const states = {
    tasks: all.filter(([, s]) => s.Type === 'Task').map(([name, s]) => [name, s.Resource]),
    waits: all.filter(([, s]) => s.Type === 'Wait').map(([name]) => name),
    retrying: all.filter(([, s]) => s.Retry).map(([name]) => name),
  };
  const cases = {};
  for (const [i, requested] of request.cases.entries()) {
    // One execution after the other: each case's answers and counters are its own.
    cases[requested.case] = await runCase(request, machine, states, requested, answers[i]);
  }
  // The package's exports hide package.json from require(); read it next to the entry point.
  const manifest = new URL('../package.json', import.meta.resolve(LIBRARY));
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  process.stdout.write(
    JSON.stringify({
      interpreter: { name: LIBRARY, version, node: process.version },
      adjustments: notes,
      caveats: caveatsOf(definition),
      cases,
    }),
  );
}

await main();
