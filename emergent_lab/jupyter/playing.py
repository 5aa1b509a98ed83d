"""Playing the dashboard: Play, Pause, Step, advance, and the played frames.

A mixin of :class:`~.dashboard.Dashboard`, kept apart so each file reads in
one sitting. The :class:`~.player.Player` decides when to advance by how
much and when to draw (keeping played time on the wall clock, dropping
frames when drawing every one would slow it down); this mixin does it, tells
the player's clock what each part cost, and shows the user the speed and
frame rate achieved, next to the virtual time.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

from emergent_lab.core.checks import check_number
from emergent_lab.run.source import ClusterSource

from .controller import Controller
from .controls import Controls
from .player import FramePacer, Player
from .serial import FairLock, serialized


class Playing:
    """Play, Pause, Step and advance over the dashboard's source."""

    lock: FairLock
    source: ClusterSource
    controls: Controls
    controller: Controller
    player: Player
    pacer: FramePacer
    replay_time: float | None
    render: Callable[..., None]
    live: Callable[[], None]
    _require_live: Callable[[str], None]
    _follow_messages: Callable[[ClusterSource | None], None]

    @property
    def playing(self) -> bool:
        """Whether the dashboard is playing."""
        return self.player.playing

    @serialized
    def play(self) -> None:
        """Play live from now (leaves replay); a second Play does not start a second task."""
        if self.replay_time is not None:
            self.live()
        self.player.start()
        c = self.controls
        c.play.description, c.play.icon = "Pause", "pause"
        c.replay.disabled = True
        c.step.disabled = True

    @serialized
    def pause(self) -> None:
        """Stop playing; the replay slider then covers the recorded history, ending at now.

        In this order: the frame where the cluster stopped, the replay slider,
        the Play button, then the message panel. A browser that shows "Play"
        has the last frame, and the panel's redraw (tenths of a second at 200
        nodes) never holds that frame back.
        """
        self.player.stop()
        c = self.controls
        try:
            if self.replay_time is None:
                # Draw where the cluster stopped, always: a frame the play task had under
                # way may not have reached the browser, and the readout must end at the
                # time the replay slider ends at.
                self.render(flock_seconds=self.pacer.undrawn, messages=False)
            # One message for all three: the browser's slider never sees the new maximum
            # with the old value (it would clamp it and send the old value back as a drag).
            with self.controller.quietly(), c.replay.hold_sync():
                c.replay.disabled = False
                c.replay.max = max(self.source.time, 0.0)
                c.replay.value = c.replay.max
        finally:
            # Whatever failed above, the button must say what the player does: a
            # "Pause" left on a stopped player would start it again when pressed.
            c.step.disabled = self.replay_time is not None
            c.play.description, c.play.icon = "Play", "play"
            c.pace.value = ""
        if self.replay_time is None:
            self._follow_messages(self.source)

    @serialized
    def advance(self, duration: float) -> None:
        """Advance the cluster by ``duration`` virtual seconds and draw one frame (from code)."""
        check_number("duration", duration, low=0)
        self._require_live("advance")
        self.source.advance(duration)
        self.pacer.undrawn += duration
        self.render(flock_seconds=self.pacer.undrawn)

    @serialized
    def step(self) -> None:
        """Advance by one gossip round and draw it."""
        self._require_live("step")
        before = self.source.time
        self.source.step()
        self.render(flock_seconds=self.source.time - before)

    def _play_frame(self, virtual: float, draw: bool) -> None:
        """One tick of Play: advance ``virtual`` seconds; draw if due and the browser is ready.

        A frame is drawn only once the browser has the last one
        (:class:`~.player.FramePacer`), and the time plots a few times a
        second; the player's clock is told what advancing and drawing cost.
        """
        clock = self.player.clock
        start = monotonic()
        self.source.advance(virtual)
        self.pacer.undrawn += virtual
        now = monotonic()
        clock.advanced(now, virtual, now - start)
        if not draw or self.pacer.busy(now):
            return
        self.render(flock_seconds=self.pacer.undrawn, charts=self.pacer.charts_due(now))
        clock.drew(now, monotonic() - now)
        self._show_pace(now)

    def _show_pace(self, now: float) -> None:
        """Show the speed and frame rate achieved against the speed asked for."""
        pace = self.player.clock.pace(now)
        if pace is None:
            return
        asked = float(self.controls.speed.value)
        short = pace.speed < 0.95 * asked
        colour = "#b00020" if short else "#555555"
        self.controls.pace.value = (
            f'<span style="color:{colour}" title="virtual seconds per wall second achieved '
            f'(asked: {asked:.2g}), and frames drawn per second">'
            f"▶ {pace.speed:.2f} s/s · {pace.fps:.0f} fps</span>"
        )

    def _play_failed(self, error: Exception) -> None:
        """A frame raised while playing: stop, and say why."""
        self.pause()
        self.controller.refuse(error)
