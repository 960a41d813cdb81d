"""The Community screen: challenges, events, polls and feedback in four tabs.

The view is computed off the UI thread (``model.build_view`` on the store's thread) from
the last feed copy, this kiosk's records and the signed-in resident's inbox (fetched by
the sync service at sign-in, in the background). Taps make records (a vote, a sign-up or
a cancellation, feedback) saved on the store's thread and synced soon. Guests read
everything, may send feedback, and are told to sign in to vote or sign up. Nothing of a
resident stays on the screen once it is left or the visit ends.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.community.keyboard import fill_keyboard
from kiosk.features.community.model import (
    STALE_AFTER_S,
    CommunityView,
    EventState,
    age_text,
    amount_text,
    build_view,
    feedback_record,
    signup_record,
    vote_record,
)
from kiosk.i18n import N_, tr
from kiosk.shell.running import kiosk_app
from sync.community import Challenge, FeedbackTopic, Poll, Text
from sync.community_client import CommunityError
from sync.records import Record, ResidentProfile

log = logging.getLogger(__name__)

SIGN_IN_TO_TAKE_PART = N_("Sign in with your card or number code to vote or sign up.")
NOTHING_YET = N_("Nothing from the community yet. This kiosk has not reached the server; it will show challenges, events and polls when it does.")
CANNOT_SAVE = N_("This kiosk cannot save right now. Please tell the staff.")
ALREADY_VOTED = N_("You had already voted on another kiosk. Your first vote counts: {choices}")
DEFAULT_TOPICS = (
    FeedbackTopic(id="equipment_broken", title=Text(zh_CN="设备坏了", en="Something is broken")),
    FeedbackTopic(id="suggestion", title=Text(zh_CN="建议", en="A suggestion")),
    FeedbackTopic(id="praise", title=Text(zh_CN="表扬", en="Praise")),
)
RATING_WORDS = (N_("Very poor"), N_("Poor"), N_("So-so"), N_("Good"), N_("Very good"))
MAX_WORDS = 200
MAX_NICKNAME = 16


class CommunityScreen(Screen):
    tab = StringProperty("challenges")
    freshness = StringProperty("")
    offline = BooleanProperty(False)
    notice = StringProperty("")
    loading = BooleanProperty(False)
    """True while the view is computed (tests wait on it)."""
    new_replies = BooleanProperty(False)

    def on_kv_post(self, base_widget: object) -> None:
        app = kiosk_app()
        app.bind(lang=lambda *_: self._refresh_if_shown(),
                 # not inside the large-text dispatch: see _drop_rows
                 large=lambda *_: Clock.schedule_once(lambda _dt: self._render_if_shown(), 0),
                 on_visit_end=lambda *_: self._clear())
        self._asked = 0
        self.view: CommunityView | None = None
        self._picked: dict[str, set[int]] = {}
        self._topic = ""
        self._rating = 0
        self._words = ""
        self._keyboard = False
        self._sent = False
        self._message = ""
        self._nick: str | None = None
        """The nickname being typed (None: not typing)."""
        self._me_widgets: dict[str, Any] = {}
        sync = app.services.sync
        if sync is not None:
            sync.community_listeners.append(self._on_feed)

    # --- life cycle ------------------------------------------------------------------
    def _shown(self) -> bool:
        return self.manager is not None and self.manager.current == self.name

    def _refresh_if_shown(self) -> None:
        if self._shown():
            self.refresh()

    def _on_feed(self) -> None:
        """A sync pass brought the server's word: a "saved" notice may be out of date now
        (a vote refused as a second one), so it goes, and the view is computed again."""
        self._message = ""
        self._refresh_if_shown()

    def _render_if_shown(self) -> None:
        if self._shown():
            self.render()

    def on_pre_enter(self, *args: object) -> None:
        self._message = ""
        self.refresh()
        self._to_top()
        self._fetch_inbox()

    def on_leave(self, *args: object) -> None:
        self._clear()

    def _clear(self) -> None:
        self.view = None
        self._picked.clear()
        self._topic, self._rating, self._words = "", 0, ""
        self._keyboard = self._sent = False
        self._message = ""
        self._nick = None
        self.new_replies = False
        self.tab = "challenges"
        self._drop_rows()

    def show(self, tab: str) -> None:
        self.tab = tab
        self._message = ""
        self.render()
        self._to_top()

    def _to_top(self) -> None:
        """The list from its top, once the new content is laid out."""
        self.ids.scroll.scroll_y = 1
        Clock.schedule_once(lambda _dt: setattr(self.ids.scroll, "scroll_y", 1), 0)

    def _fetch_inbox(self) -> None:
        """The resident's own view from the server, in the background (at most once a visit
        unless a pass refreshes it)."""
        app = kiosk_app()
        sync, resident = app.services.sync, app.resident_id
        if sync is None or not resident or sync.visitor_inbox(resident) is not None:
            return

        def job() -> None:
            try:
                sync.fetch_inbox(resident)
            except CommunityError as exc:
                log.info("resident's community view not fetched: %s", exc)
                return
            sync.post(self._refresh_if_shown)

        threading.Thread(target=job, name="community-inbox", daemon=True).start()

    def refresh(self) -> None:
        app = kiosk_app()
        store, sync = app.services.store, app.services.sync
        if sync is None or store is None or not store.available:
            self.freshness = ""
            self.view = CommunityView(feed=None, age_s=None, offline=True)
            self.render()
            return
        cached = sync.community.current()
        resident = app.resident_id
        inbox = sync.visitor_inbox(resident) if resident else None
        acked = sync.community.acked_since_feed()
        residents = app.services.residents
        teams = residents.teams() if residents is not None else {}
        offline = bool(sync.community.last_error)
        self.loading = True
        self._asked += 1
        asked = self._asked
        kiosk_id = app.cfg.kiosk.id
        store.query_async(
            lambda st: build_view(cached, st, resident, inbox, acked, kiosk_id, teams, offline),
            lambda view, err: self._show(asked, resident, view, err))

    def _show(self, asked: int, resident: str, view: CommunityView | None,
              error: BaseException | None) -> None:
        app = kiosk_app()
        if asked != self._asked or resident != app.resident_id:
            return
        self.loading = False
        if error is not None or view is None:
            log.error("community view failed: %s", error)
            view = CommunityView(feed=None, age_s=None, offline=True)
        self.view = view
        lang = app.lang
        if view.age_s is None:
            self.freshness = ""
        elif view.offline or view.age_s > STALE_AFTER_S:
            self.freshness = age_text(view.age_s, lang)
        else:
            self.freshness = ""
        self.offline = view.offline
        self.new_replies = bool(view.replies)
        self.render()

    # --- drawing -------------------------------------------------------------------------
    def _drop_rows(self) -> None:
        """Remove the cards and collect them now. Their kv rules are bound to the app's
        language and large-text properties; a card the garbage collector finds later, in
        the middle of such a property's dispatch, makes Kivy set a value on a dead proxy
        (ReferenceError). Collected here, outside any such dispatch, they unbind cleanly."""
        rows = self.ids.rows
        if rows.children:
            rows.clear_widgets()
            gc.collect()

    def render(self) -> None:
        rows = self.ids.rows
        self._drop_rows()
        app = kiosk_app()
        lang = app.lang
        view = self.view
        signed_in = bool(app.resident_id)
        self.notice = tr(self._message, lang) if self._message else ""
        if view is None:
            return
        if view.feed is None:
            rows.add_widget(self._text(tr(NOTHING_YET, lang)))
            if self.tab == "feedback":
                self._feedback(rows, lang, signed_in)
            return
        if not signed_in and self.tab in ("events", "polls") and not self._message:
            self.notice = tr(SIGN_IN_TO_TAKE_PART, lang)
        getattr(self, f"_{self.tab}")(rows, lang, signed_in)

    @staticmethod
    def _text(value: str, kind: str = "CText") -> Any:
        label = getattr(Factory, kind)()
        label.text = value
        return label

    def _card(self) -> Any:
        return Factory.CommunityCard()

    @staticmethod
    def _profile() -> ResidentProfile | None:
        """The signed-in resident's profile (None for a guest or without the service)."""
        app = kiosk_app()
        residents = app.services.residents
        return residents.profile(app.resident_id) if residents is not None else None

    def _me(self, rows: Any, lang: str) -> None:
        """The resident's team and their opt-in nickname (off unless they choose one)."""
        app = kiosk_app()
        view = self.view
        profile = self._profile()
        if view is None or view.feed is None or profile is None or \
                profile.consent_version is None:
            return
        card = self._card()
        card.add_widget(self._text(tr(N_("You in the community"), lang), "CTitle"))
        widgets: dict[str, Any] = {}
        if view.feed.teams:
            card.add_widget(self._text(tr(N_("Your team (for team challenges):"), lang)))
            grid = Factory.GridLayout(cols=2 if app.large or app.portrait else 4,
                                      size_hint_y=None, spacing=app.u)
            grid.bind(minimum_height=grid.setter("height"))
            for team_id, title in [*((t.id, t.title.get(lang)) for t in view.feed.teams),
                                   ("", tr(N_("No team"), lang))]:
                b = Factory.CChoice()
                b.text = title
                b.team = team_id
                b.selected = (profile.team or "") == team_id
                b.bind(on_release=lambda _b, t=team_id: self.choose_team(t))
                grid.add_widget(b)
            card.add_widget(grid)
            widgets["teams"] = grid
        nick = profile.nickname
        if self._nick is not None:
            shown = self._nick or "…"
            card.add_widget(self._text(tr(N_("Nickname: {name}"), lang, name=shown)))
        elif nick:
            card.add_widget(self._text(tr(N_("Your nickname on leaderboards: {name}"), lang,
                                          name=nick)))
        else:
            card.add_widget(self._text(tr(N_("Your name is not shown on any leaderboard."),
                                          lang), "CMuted"))
        row = Factory.CRow()
        if self._nick is not None:
            save = Factory.KButton(text=tr(N_("Save"), lang))
            save.disabled = not self._nick
            save.bind(on_release=lambda *_: self.save_nickname())
            keep = Factory.KButton(text=tr(N_("Cancel"), lang))
            keep.bind(on_release=lambda *_: self.type_nickname(None))
            row.add_widget(save)
            row.add_widget(keep)
            widgets["save"] = save
        else:
            choose = Factory.KButton(text=tr(N_("Choose a nickname"), lang))
            choose.bind(on_release=lambda *_: self.type_nickname(""))
            row.add_widget(choose)
            widgets["choose"] = choose
            if nick:
                stop = Factory.KButton(text=tr(N_("Stop showing my nickname"), lang))
                stop.bind(on_release=lambda *_: self.clear_nickname())
                row.add_widget(stop)
                widgets["stop"] = stop
        card.add_widget(row)
        if self._nick is not None:
            keys = Factory.BoxLayout(orientation="vertical", size_hint_y=None,
                                     spacing=app.u * 0.6)
            keys.bind(minimum_height=keys.setter("height"))
            fill_keyboard(keys, lang, self.nick_key, phrases_too=False)
            card.add_widget(keys)
            widgets["keys"] = keys
        rows.add_widget(card)
        self._me_widgets = widgets

    def _challenges(self, rows: Any, lang: str, signed_in: bool) -> None:
        view = self.view
        assert view is not None and view.feed is not None
        if not view.challenges:
            rows.add_widget(self._text(tr(N_("No challenges running right now."), lang)))
        teams = {t.id: t.title.get(lang) for t in view.feed.teams}
        profile = self._profile() if signed_in else None
        my_nick = profile.nickname if profile is not None else None
        for p in view.challenges:
            c = p.challenge
            card = self._card()
            card.add_widget(self._text(c.title.get(lang), "CTitle"))
            if c.description is not None:
                card.add_widget(self._text(c.description.get(lang)))
            if c.scope == "team" and c.team:
                card.add_widget(self._text(tr(N_("Team: {team}"), lang,
                                              team=teams.get(c.team, c.team)), "CMuted"))
            bar = Factory.KBar()
            bar.value = p.fraction
            card.add_widget(bar)
            card.add_widget(self._text(tr(N_("{done} of {goal} ({percent}%)"), lang,
                                          done=amount_text(c, p.shown, lang),
                                          goal=amount_text(c, c.goal, lang),
                                          percent=int(round(100 * p.fraction))), "CText"))
            if c.participants is not None:
                card.add_widget(self._text(tr(N_("{n} residents taking part"), lang,
                                              n=c.participants), "CMuted"))
            if signed_in:
                mine = view.contributions.get(c.id, 0.0)
                line = tr(N_("Your part: {amount}"), lang, amount=amount_text(c, mine, lang)) \
                    if mine > 0 else tr(N_("Join in: everything you do here counts."), lang)
                best = view.bests.get(c.id, 0.0)
                if best > 0:
                    line += "   " + tr(N_("Your best in one go: {amount}"), lang,
                                       amount=amount_text(c, best, lang))
                label = self._text(line, "CText")
                label.bold = True
                label.color = app_colour("ok")
                card.add_widget(label)
            if c.leaders:  # after the resident's own part and best: ranks come last
                self._leaders(card, c, lang, my_nick if signed_in else None)
            rows.add_widget(card)
        if signed_in:
            self._me(rows, lang)  # after the challenges: what they do first, who they are after

    def _leaders(self, card: Any, challenge: Challenge, lang: str, my_nick: str | None) -> None:
        """The challenge's leaderboard: only residents who chose a nickname are named."""
        card.add_widget(self._text(tr(N_("Leaderboard (residents who chose a nickname)"), lang),
                                   "CMuted"))
        for leader in challenge.leaders:
            msgid = N_("{rank}. {name}: {amount} (you)") if leader.nickname == my_nick \
                else N_("{rank}. {name}: {amount}")
            line = self._text(tr(msgid, lang, rank=leader.rank, name=leader.nickname,
                                 amount=amount_text(challenge, leader.value, lang)), "CText")
            if leader.nickname == my_nick:
                line.bold = True
            card.add_widget(line)

    def _events(self, rows: Any, lang: str, signed_in: bool) -> None:
        from kiosk.features.community.attract import when_text

        view = self.view
        assert view is not None
        if not view.events:
            rows.add_widget(self._text(tr(N_("No events coming up."), lang)))
            return
        for state in view.events:
            e = state.event
            card = self._card()
            card.add_widget(self._text(e.title.get(lang), "CTitle"))
            card.add_widget(self._text(f"{when_text(e.starts_at, lang)} · {e.place.get(lang)}"))
            if e.description is not None:
                card.add_widget(self._text(e.description.get(lang), "CMuted"))
            seats = tr(N_("{n} signed up"), lang, n=e.signed_up) if e.capacity is None else \
                tr(N_("{n} of {capacity} places taken"), lang, n=e.signed_up, capacity=e.capacity)
            card.add_widget(self._text(seats, "CMuted"))
            if state.refused:
                card.add_widget(self._text(tr(N_(
                    "The event was already full: your sign-up was not accepted."), lang)))
            row = Factory.CRow()
            if state.signed_up:
                row.add_widget(self._text(tr(N_("You are signed up."), lang), "CTitle"))
            button = Factory.KButton()
            button.units = 3.4
            button.size_hint_x = 0.6
            button.event_id = e.id
            if state.signed_up:
                button.text = tr(N_("Cancel my sign-up"), lang)
                button.bind(on_release=lambda _b, s=state: self.sign_up(s, False))
            elif state.full:
                button.text = tr(N_("Full"), lang)
                button.disabled = True
            else:
                button.text = tr(N_("Sign up"), lang)
                button.bind(on_release=lambda _b, s=state: self.sign_up(s, True))
            if not signed_in:
                button.disabled = True
            row.add_widget(button)
            card.add_widget(row)
            rows.add_widget(card)

    def _polls(self, rows: Any, lang: str, signed_in: bool) -> None:
        view = self.view
        assert view is not None
        if not view.polls:
            rows.add_widget(self._text(tr(N_("No polls open right now."), lang)))
            return
        app = kiosk_app()
        cols = 1 if (app.large or app.portrait) else 2
        for poll in view.polls:
            card = self._card()
            card.add_widget(self._text(poll.title.get(lang), "CTitle"))
            mine = view.votes.get(poll.id)
            if mine is None and poll.multiple:
                card.add_widget(self._text(tr(N_("Choose up to {n}."), lang,
                                              n=poll.max_choices), "CMuted"))
            grid = Factory.GridLayout(cols=cols, size_hint_y=None, spacing=app.u)
            grid.bind(minimum_height=grid.setter("height"))
            picked = self._picked.get(poll.id, set())
            for i, choice in enumerate(poll.choices):
                b = Factory.CChoice()
                b.text = choice.get(lang)
                b.choice = i
                b.selected = (i in mine.choices) if mine is not None else (i in picked)
                b.disabled = not signed_in  # a vote made stays shown in colour; taps do nothing
                b.bind(on_release=lambda _b, p=poll, i=i: self.pick(p, i))
                grid.add_widget(b)
            card.add_widget(grid)
            if mine is not None:
                names = ", ".join(poll.choices[i].get(lang) for i in mine.choices
                                  if 0 <= i < len(poll.choices))
                if mine.refused:
                    line = tr(ALREADY_VOTED, lang, choices=names or "…")
                else:
                    line = tr(N_("Your vote: {choices}"), lang, choices=names)
                card.add_widget(self._text(line, "CTitle"))
            elif signed_in:
                vote = Factory.KButton()
                vote.units = 3.6
                vote.size_hint_y = None
                vote.height = app.u * 9 * (1.25 if app.large else 1)
                vote.text = tr(N_("Vote"), lang)
                vote.poll_id = poll.id
                vote.disabled = not picked
                vote.bind(on_release=lambda _b, p=poll: self.vote(p))
                card.add_widget(vote)
            rows.add_widget(card)

    def _feedback(self, rows: Any, lang: str, signed_in: bool) -> None:
        app = kiosk_app()
        view = self.view
        feed = view.feed if view is not None else None
        if view is not None and view.replies:
            card = self._card()
            card.add_widget(self._text(tr(N_("Replies to your feedback"), lang), "CTitle"))
            names = {t.id: t.title.get(lang) for t in
                     (feed.feedback_topics if feed is not None else DEFAULT_TOPICS)}
            for reply in view.replies:
                when = reply.replied_at.astimezone().strftime("%Y-%m-%d")
                about = names.get(reply.topic, "")
                card.add_widget(self._text(f"{when}  {about}", "CMuted"))
                card.add_widget(self._text(reply.text))
            rows.add_widget(card)
        card = self._card()
        if self._sent:
            card.add_widget(self._text(tr(N_("Thank you! Your feedback was sent."), lang),
                                       "CTitle"))
            again = Factory.KButton(size_hint_y=None, height=app.u * 9)
            again.text = tr(N_("Give more feedback"), lang)
            again.bind(on_release=lambda *_: self._again())
            card.add_widget(again)
            rows.add_widget(card)
            return
        card.add_widget(self._text(tr(N_("What is it about?"), lang), "CTitle"))
        topics = (feed.feedback_topics if feed is not None and feed.feedback_topics
                  else list(DEFAULT_TOPICS))
        grid = Factory.GridLayout(cols=1 if app.large or app.portrait else 3, size_hint_y=None,
                                  spacing=app.u)
        grid.bind(minimum_height=grid.setter("height"))
        for topic in topics:
            b = Factory.CChoice()
            b.text = topic.title.get(lang)
            b.topic = topic.id
            b.selected = topic.id == self._topic
            b.bind(on_release=lambda _b, t=topic.id: self.pick_topic(t))
            grid.add_widget(b)
        card.add_widget(grid)
        card.add_widget(self._text(tr(N_("How do you rate it?"), lang), "CTitle"))
        ratings = Factory.GridLayout(cols=5 if not (app.large and app.portrait) else 1,
                                     size_hint_y=None, spacing=app.u)
        ratings.bind(minimum_height=ratings.setter("height"))
        for n in range(1, 6):
            b = Factory.CChoice()
            b.text = "★" * n + "\n" + tr(RATING_WORDS[n - 1], lang)
            b.height = app.u * 13 * (1.25 if app.large else 1)
            b.units = 3
            b.rating = n
            b.selected = n == self._rating
            b.bind(on_release=lambda _b, n=n: self.pick_rating(n))
            ratings.add_widget(b)
        card.add_widget(ratings)
        words = self._text(self._words_text(lang), "CText")
        card.add_widget(words)
        row = Factory.CRow()
        more = Factory.KButton()
        more.text = tr(N_("Hide the keyboard"), lang) if self._keyboard else \
            tr(N_("Add a few words"), lang)
        more.bind(on_release=lambda *_: self.toggle_keyboard())
        row.add_widget(more)
        send = Factory.KButton()
        send.text = tr(N_("Send"), lang)
        send.bg = app_colour("ok")
        send.disabled = not (self._topic and self._rating)
        send.bind(on_release=lambda *_: self.send_feedback())
        row.add_widget(send)
        card.add_widget(row)
        if self._keyboard:
            keys = Factory.BoxLayout(orientation="vertical", size_hint_y=None,
                                     spacing=app.u * 0.6)
            keys.bind(minimum_height=keys.setter("height"))
            fill_keyboard(keys, lang, self.type_key)
            self._keys = keys
            card.add_widget(keys)
        rows.add_widget(card)
        self._feedback_widgets = {"send": send, "more": more, "topics": grid,
                                  "ratings": ratings, "words": words}

    # --- taps -------------------------------------------------------------------------------
    def choose_team(self, team: str) -> None:
        app = kiosk_app()
        residents = app.services.residents
        if residents is None:
            return
        if team:
            residents.update_profile(app.resident_id, team=team)
        else:
            residents.update_profile(app.resident_id, clear=("team",))
        self.refresh()  # team challenges count by team

    def type_nickname(self, start: str | None) -> None:
        self._nick = start
        self.render()

    def nick_key(self, key: str) -> None:
        if self._nick is None:
            return
        if key == "\b":
            self._nick = self._nick[:-1]
        elif key.strip() and len(self._nick) < MAX_NICKNAME:
            self._nick += key
        self.render()

    def save_nickname(self) -> None:
        app = kiosk_app()
        residents = app.services.residents
        if residents is not None and self._nick:
            residents.update_profile(app.resident_id, nickname=self._nick)
        self._nick = None
        self.render()

    def clear_nickname(self) -> None:
        app = kiosk_app()
        residents = app.services.residents
        if residents is not None:
            residents.update_profile(app.resident_id, clear=("nickname",))
        self.render()

    def pick(self, poll: Poll, choice: int) -> None:
        if self.view is not None and poll.id in self.view.votes:
            return  # one vote per resident per poll
        picked = self._picked.setdefault(poll.id, set())
        if choice in picked:
            picked.discard(choice)
        elif poll.multiple:
            if len(picked) < poll.max_choices:
                picked.add(choice)
        else:
            picked.clear()
            picked.add(choice)
        self.render()

    def vote(self, poll: Poll) -> None:
        app = kiosk_app()
        try:
            record = vote_record(app.cfg.kiosk.id, app.resident_id, poll,
                                 sorted(self._picked.get(poll.id, set())))
        except ValueError as exc:
            log.info("vote not made: %s", exc)
            return
        self._save(record, N_("Your vote was saved. Thank you!"))

    def sign_up(self, state: EventState, yes: bool) -> None:
        app = kiosk_app()
        try:
            record = signup_record(app.cfg.kiosk.id, app.resident_id, state.event, yes)
        except ValueError as exc:
            log.info("sign-up not made: %s", exc)
            return
        self._save(record, N_("You are signed up. See you there!") if yes
                   else N_("Your sign-up was cancelled."))

    def pick_topic(self, topic: str) -> None:
        self._topic = topic
        self.render()

    def pick_rating(self, rating: int) -> None:
        self._rating = rating
        self.render()

    def toggle_keyboard(self) -> None:
        self._keyboard = not self._keyboard
        self.render()

    def type_key(self, key: str) -> None:
        if key == "\b":
            self._words = self._words[:-1]
        elif len(self._words) + len(key) <= MAX_WORDS:
            self._words += key
        lang = kiosk_app().lang
        self._feedback_widgets["words"].text = self._words_text(lang)

    def _words_text(self, lang: str) -> str:
        if self._words:
            return tr(N_("Your words: {words}"), lang, words=self._words)
        return tr(N_("You may add a few words (not needed)."), lang)

    def _again(self) -> None:
        self._sent = False
        self._message = ""
        self.render()

    def send_feedback(self) -> None:
        app = kiosk_app()
        if not (self._topic and self._rating):
            return
        record = feedback_record(app.cfg.kiosk.id, app.resident_id, self._topic, self._rating,
                                 self._words)
        self._topic, self._rating, self._words, self._keyboard = "", 0, "", False
        self._sent = True
        self._save(record, N_("Thank you! Your feedback was sent."))

    def _save(self, record: Record, done_msgid: str) -> None:
        app = kiosk_app()
        store = app.services.store
        if store is None or not store.available:
            self._message = CANNOT_SAVE
            self.render()
            return
        resident = app.resident_id

        def done(err: BaseException | None) -> None:
            if resident != kiosk_app().resident_id:
                return
            if err is not None:
                self._message = CANNOT_SAVE
            else:
                self._message = done_msgid
                if self.tab == "polls":
                    self._picked.clear()
                sync = kiosk_app().services.sync
                if sync is not None:
                    sync.sync_now()
            self.refresh()

        store.save_async(record, done)


def app_colour(name: str) -> tuple[float, float, float, float]:
    app = kiosk_app()
    return app.c(name, app.hc)
