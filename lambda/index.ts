/**
 * Entry points of the custom resource handler. The Provider framework's onEvent function calls `onEvent`,
 * its isComplete function calls `isComplete` (the same bundle, two handler names). Both only wire the EC2
 * client and the logger, and pick the handler class by `ResourceType`.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  ADVERTISEMENT_RESOURCE_TYPE,
  ASSOCIATION_RESOURCE_TYPE,
  AdvertisementResourceProperties,
  AssociationResourceProperties,
  BYOASN_RESOURCE_TYPE,
  BYOIP_CIDR_RESOURCE_TYPE,
  ByoasnResourceProperties,
  ByoipCidrResourceProperties,
} from '../lib/private/contract';
import { ByoasnCidrAssociationHandler } from './byoasn-cidr-association';
import { ByoipCidrHandler } from './byoip-cidr';
import { ByoipCidrAdvertisementHandler } from './byoip-cidr-advertisement';
import { CustomResourceEvent, Deadline, HandlerEvent, IsCompleteEvent, IsCompleteResponse, OnEventResponse, ResourceHandler } from './common';
import { createEc2Client, ec2Api } from './ec2';
import { IpamByoasnHandler } from './ipam-byoasn';
import { createLogger } from './logger';
import { cloudFormationApi, createCloudFormationClient } from './stack';

export type { CustomResourceEvent, Handover, IsCompleteEvent, IsCompleteResponse, OnEventResponse, SupersededRecord } from './common';

// Created on first use and kept for the life of the execution environment: the only module-level state.
let client: EC2Client | undefined;
let cfnClient: CloudFormationClient | undefined;
let logger: Logger | undefined;

/** What the handler uses of the Lambda context. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** Time kept back from the invocation's deadline, to log and answer after the last call was aborted. */
export const DEADLINE_MARGIN_MS = 10_000;

/** The invocation time assumed without a Lambda context (tests): the functions' timeout. */
const DEFAULT_INVOCATION_MS = 14 * 60 * 1000;

/** Handles a CloudFormation request (Create, Update or Delete) of one of this library's resource types. */
export async function onEvent(event: CustomResourceEvent, context?: LambdaContext): Promise<OnEventResponse> {
  return handlerFor(event, context).onEvent();
}

/** Tells the Provider framework whether the work that onEvent started is done. */
export async function isComplete(event: IsCompleteEvent, context?: LambdaContext): Promise<IsCompleteResponse> {
  return handlerFor(event, context).isComplete();
}

function handlerFor(event: CustomResourceEvent | IsCompleteEvent, lambdaContext: LambdaContext | undefined): ResourceHandler<unknown> {
  logger ??= createLogger();
  // The logger outlives the invocation: drop the previous request's keys before adding this one's.
  logger.resetKeys();
  logger.appendKeys({
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    // A Create has no physical id yet; its response line shows the one chosen.
    PhysicalResourceId: event.PhysicalResourceId ?? '(none yet)',
    ResourceType: event.ResourceType,
  });
  client ??= createEc2Client();
  cfnClient ??= createCloudFormationClient();
  const remaining = typeof lambdaContext?.getRemainingTimeInMillis === 'function' ? lambdaContext.getRemainingTimeInMillis() : DEFAULT_INVOCATION_MS;
  const deadline = new Deadline(remaining - DEADLINE_MARGIN_MS);
  const context = {
    ec2: ec2Api(client, logger, deadline.signal),
    cloudFormation: cloudFormationApi(cfnClient, logger, deadline.signal),
    logger,
    deadline,
  };
  switch (event.ResourceType) {
    case BYOASN_RESOURCE_TYPE:
      return new IpamByoasnHandler(context, withProperties<ByoasnResourceProperties>(event));
    case ASSOCIATION_RESOURCE_TYPE:
      return new ByoasnCidrAssociationHandler(context, withProperties<AssociationResourceProperties>(event));
    case BYOIP_CIDR_RESOURCE_TYPE:
      return new ByoipCidrHandler(context, withProperties<ByoipCidrResourceProperties>(event));
    case ADVERTISEMENT_RESOURCE_TYPE:
      return new ByoipCidrAdvertisementHandler(context, withProperties<AdvertisementResourceProperties>(event));
  }
  const message = `Unknown resource type '${event.ResourceType}': this handler serves ${BYOASN_RESOURCE_TYPE}, ${ASSOCIATION_RESOURCE_TYPE}, ${BYOIP_CIDR_RESOURCE_TYPE} and ${ADVERTISEMENT_RESOURCE_TYPE}.`;
  logger.error(message);
  throw new Error(message);
}

/**
 * Types the properties by the contract. Nothing is checked here: CloudFormation may send anything, and each
 * handler validates every value it uses before any AWS call.
 */
function withProperties<P>(event: IsCompleteEvent | CustomResourceEvent): HandlerEvent<P> {
  return event as unknown as HandlerEvent<P>;
}
