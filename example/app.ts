#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ByoipExampleStack } from './byoip-example-stack';
import { ExampleStack } from './example-stack';

const app = new App();
new ExampleStack(app, 'ByoasnExample');
new ByoipExampleStack(app, 'ByoipExample');
app.synth();
