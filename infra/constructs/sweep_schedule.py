"""EventBridge Scheduler starts the daily sweep at `sweepSchedule` (UTC), on time, with retries.

No flexible time window: the sweep's day is its start, and reminders say the day they fall due.
A start that still fails after its retries lands in an SQS dead-letter queue (an alarm watches it);
the next day's sweep catches up all the same, since every step it repeats is written only if absent.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Aws, Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.dead_letter_queue import dead_letter_queue

MAX_START_ATTEMPTS: Final = 10
MAX_START_AGE: Final = Duration.hours(6)
"""Retries stop well before the next day's sweep, so that two days' sweeps never overlap."""
DEFAULT_SCHEDULE_GROUP: Final = "default"


class SweepSchedule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule_name: str,
        expression: str,
        queue_name: str,
        state_machine: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(
            self,
            queue_name=queue_name,
            why_no_queue_behind="This queue is the dead-letter queue of the sweep's schedule; a queue behind "
            "it would only move the same failed starts once more.",
        )
        group = Stack.of(self).format_arn(
            service="scheduler", resource="schedule-group", resource_name=DEFAULT_SCHEDULE_GROUP
        )
        # Scheduler uses its execution role both to start the sweep and to write the dead-letter queue.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com").with_conditions(
                {
                    # Confused-deputy guard: only this account's schedules of the default group.
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID, "aws:SourceArn": group},
                }
            ),
            description="keywarden: EventBridge Scheduler starts the daily sweep",
        )
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule_name=schedule_name,
            description="keywarden: the daily sweep of stale keys' findings",
            schedule=scheduler.ScheduleExpression.expression(expression, TimeZone.ETC_UTC),
            time_window=scheduler.TimeWindow.off(),
            target=targets.StepFunctionsStartExecution(
                state_machine,
                role=self.role,
                # The sweep reads nothing from its input: its name and start are its context.
                input=scheduler.ScheduleTargetInput.from_object({}),
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=MAX_START_ATTEMPTS,
                max_event_age=MAX_START_AGE,
            ),
        )
