"""The demo's traffic, set up on a sandbox: its IVR flows (the shipped ones, open round the
clock), the demo data in the database, the prompts built, the callers' placements made from
the traffic model's plan with scripts timed from the real prompts, and the campaign watched
and paused at the end.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.agi.flows import flow_library, prompts_to_build
from asterisk_cc.agi.prompts import build_missing
from asterisk_cc.config import Settings
from asterisk_cc.core.traffic import IvrPath, TrafficModel, ivr_paths, plan_inbound
from asterisk_cc.core.vocabulary import CallOutcome, CampaignStatus
from asterisk_cc.db.campaigns import find_campaign, set_campaign_status
from asterisk_cc.db.demo_data import DemoData, seed_demo
from asterisk_cc.db.models import CallAttempt, Campaign
from asterisk_cc.demo.callers import Placement
from asterisk_cc.errors import AsteriskCCError
from asterisk_cc.sandbox import Sandbox
from asterisk_cc.sandbox.callers import (
    lead_number,
    path_sounds,
    planned_caller_script,
    sound_lengths,
    write_demo_flows,
)

IVR_DESTINATION: Final = "{flow}@asterisk-cc-ivr"


FLOW: Final = "hotline"


class DemoSetupError(AsteriskCCError):
    """The demo's flows, prompts or data could not be set up."""


@dataclass
class DemoTraffic:
    sandbox: Sandbox
    model: TrafficModel
    flows_dir: Path
    flow_name: str = FLOW
    paths: list[IvrPath] = field(default_factory=list)

    def load(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        rng: random.Random,
        *,
        agents: int,
        customers: int,
    ) -> DemoData:
        """The demo data in the (empty, migrated) database."""
        with sessions.begin() as session:
            return seed_demo(
                session,
                rng=rng,
                now=datetime.now(UTC),
                lead_number=lead_number,
                customers=customers,
                agents=agents,
                model=self.model,
                timezone=settings.site.timezone,
                region=settings.site.default_region,
                complaint_due_hours=settings.ivr.complaint_due_hours,
            )

    def build_prompts(self, settings: Settings) -> None:
        """The flows' prompts, spoken from their text into the sandbox's sounds; the flows
        must then check out against this PBX."""
        flows = flow_library(settings.ivr, default_timezone=settings.site.timezone)
        build_missing(prompts_to_build(flows.all_flows()), Path(settings.ivr.sounds_dirs[0]))
        problems = {name: found for name, found in flows.check().items() if found}
        if problems:
            raise DemoSetupError(f"the demo's flows do not check out: {problems}")
        flow = flows.get(self.flow_name)
        if flow is None:
            raise DemoSetupError(f"no flow {self.flow_name!r} in {self.flows_dir}")
        self.paths = ivr_paths(flow)

    # --- the campaign ------------------------------------------------------------------------

    def stop_campaign(self, sessions: sessionmaker[Session], data: DemoData) -> None:
        """Pause the campaign (the dialer places no new calls); one that has already finished
        its leads stays as it is."""
        with sessions.begin() as session:
            campaign = find_campaign(session, data.campaign)
            if campaign.status == CampaignStatus.ACTIVE:
                set_campaign_status(session, campaign, "pause", datetime.now(UTC))

    def wait_for_dialer(
        self, sessions: sessionmaker[Session], data: DemoData, timeout_s: float
    ) -> None:
        """Until the dialer's attempts all have an outcome (its calls in progress ended)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with sessions() as session:
                open_attempts = session.scalar(
                    select(func.count(CallAttempt.id))
                    .join(Campaign, Campaign.id == CallAttempt.campaign_id)
                    .where(Campaign.name == data.campaign, CallAttempt.outcome.is_(None))
                )
            if not open_attempts:
                return
            time.sleep(1.0)

    def cancelled_attempts(
        self, sessions: sessionmaker[Session], data: DemoData, since: datetime
    ) -> int:
        with sessions() as session:
            return int(
                session.scalar(
                    select(func.count(CallAttempt.id))
                    .join(Campaign, Campaign.id == CallAttempt.campaign_id)
                    .where(
                        Campaign.name == data.campaign,
                        CallAttempt.started_at >= since,
                        CallAttempt.outcome == CallOutcome.CANCELLED,
                    )
                )
                or 0
            )

    def outbound_linkedids(self, sessions: sessionmaker[Session]) -> frozenset[str]:
        """The calls the dialer made (their linkedid is the attempt's channel)."""
        with sessions() as session:
            return frozenset(
                channel
                for channel in session.scalars(
                    select(CallAttempt.channel_id).where(CallAttempt.channel_id.is_not(None))
                )
                if channel
            )

    # --- the callers -------------------------------------------------------------------------

    def placements(self, data: DemoData, minutes: float, rng: random.Random) -> list[Placement]:
        """The plan's callers, each with a script timed from the real lengths of the prompts
        they will hear."""
        planned = plan_inbound(self.model, self.paths, data.customers, minutes, rng)
        lengths = sound_lengths(self.sandbox.sounds_dir, path_sounds(c.path for c in planned))
        destination = IVR_DESTINATION.format(flow=self.flow_name)
        return [
            Placement(
                offset_s=caller.offset_s,
                destination=destination,
                script=planned_caller_script(caller, lengths),
                caller_id=caller.number,
                patience_s=caller.patience_s,
                expected_queue=caller.expected_queue,
                label=f"#{index + 1} {caller.number} {caller.path.goal}",
            )
            for index, caller in enumerate(planned)
        ]


def prepare_traffic(sandbox: Sandbox, model: TrafficModel) -> DemoTraffic:
    """The demo's flows directory in the sandbox's state directory."""
    return DemoTraffic(sandbox, model, write_demo_flows(sandbox.state_dir / "ivr"))
