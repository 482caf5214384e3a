// Runs before every test file (jest.config.js `setupFiles`). The tests run on the machine's Node.js 20, and each
// test file loads its own copy of the AWS SDK, which would print its Node-version notice once per copy (over a
// hundred times in one run). The notice is about the SDK's future releases, not about these tests: say it once,
// in README "Development", and switch it off here. Child processes (the bundle under Node.js 24, the CLI)
// inherit the setting.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
