/** @docker-builder/runner-ansible: deploys by running ansible-playbook with the job's mappings. */
export { createAnsibleRunner, type AnsibleRunnerOptions, type DeployResult } from './ansible-runner.js';
export { deployVarsYaml, mappingsYaml } from './vars-file.js';
export { PLAYBOOK_CANDIDATES } from './playbook-location.js';
export { splitArguments } from './command-line.js';
export { passthroughNameProblem } from './playbook-env.js';
