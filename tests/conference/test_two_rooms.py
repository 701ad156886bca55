"""Several meetings live at once: each room follows its own conference."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.models import Call, CallStage, Room
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.fixtures.calls import World, login, make_world


def test_joins_in_two_rooms_each_set_their_own_room_and_each_end_empties_only_it(
    sim: LocalTwilio, world: World, db: Session, clock: Clock
) -> None:
    # Found by the dial-in benchmark: with two rooms live, joins of the second room were
    # recorded on the first room's row, so its conference-end emptied nothing.
    second = make_world(db, clock)
    first_call = login(sim, world, world.member)
    second_call = login(sim, second, second.member, caller="+48601000777")
    assert first_call.room is not None and second_call.room is not None
    first_conf = sim.room_of(first_call)
    second_conf = sim.room_of(second_call)

    rooms = {room.meeting_id: room for room in db.scalars(select(Room))}
    db.expire_all()
    assert rooms[world.meeting.id].conference_sid == first_conf.sid
    assert rooms[second.meeting.id].conference_sid == second_conf.sid

    second_call.hang_up()  # everybody of the second group hung up: the conference ends
    assert second_conf.ended and not first_conf.ended
    db.expire_all()
    calls = {call.meeting_id: call for call in db.scalars(select(Call))}
    assert calls[second.meeting.id].left_at is not None
    assert calls[world.meeting.id].left_at is None
    assert calls[world.meeting.id].stage is CallStage.in_conference
    # The second group's member may dial in again; the first group's is still in its call.
    again = login(sim, second, second.member, caller="+48601000778")
    assert again.state == "in_conference"
    refused = login(sim, world, world.member, caller="+48601000779")
    assert refused.state == "ended"
