// The note editor on the question page and the study card: whatever the learner
// does next, what they typed is saved. It is saved 1.5 s after the last keystroke, and
// at once when the textarea loses focus, when a link is followed or another form sent,
// or htmx is about to replace the editor (each waits for the save, up to a few
// seconds), and when the tab is hidden or closed (a keep-alive request, which outlives
// the page). "Save and close" waits for a save in flight, so it carries the newest
// version. Each save carries the version the editor has, so a stale tab is refused
// (the server keeps its text for the learner to choose, progress/drafts.py) instead of
// overwriting newer text. Each save also carries this editor's random id and its
// number (1, 2, 3…): as the page goes away the last text is sent at once, even while a
// save is in flight (that one is aborted), and the server stores whichever of the two
// is the later, with no conflict between them (progress.services.save_note). The
// browser asks before leaving only while text is unsaved: not sent yet, failed, or
// refused.
// Without JavaScript the editor is a plain form. Loaded from 'self' (strict CSP).
(function () {
  "use strict";

  // Browsers allow 64 KiB of keep-alive request bodies in flight, a save in flight's
  // included, and give back an aborted one's share only a moment later, sometimes after
  // the page is gone. So an autosave is a keep-alive request only when it leaves room for
  // a last save as long beside it; a longer one is a normal request, and the last save,
  // sent as the page goes away, has the allowance to itself. A note over
  // KEEPALIVE_BYTES cannot outlive the page (the browser warns before it closes on it).
  var KEEPALIVE_BYTES = 60000;
  var AUTOSAVE_KEEPALIVE_BYTES = 30000;
  var LINK_WAIT_MS = 5000; // a followed link goes on after this, saved or not
  var RETRY_MS = [5000, 10000, 30000, 60000];

  var editors = new WeakMap();
  var passing = new WeakSet(); // forms sent again after the save they waited for

  // Names this opening of the editor in its saves (16 random bytes as hex when
  // crypto.randomUUID is missing: it needs a secure context).
  function editorId() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map
      .call(bytes, function (byte) {
        return (byte + 256).toString(16).slice(1);
      })
      .join("");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // The state of the editor on the page, made when first needed: htmx swaps a new
  // form in for each editor it opens.
  function editor() {
    var form = document.querySelector("form[data-note-editor]");
    if (!form) return null;
    var state = editors.get(form);
    if (!state) {
      var textarea = form.querySelector("textarea[name=text]");
      // An editor re-rendered with an error holds text that is not saved.
      var unsaved = form.hasAttribute("data-unsaved");
      state = {
        form: form,
        textarea: textarea,
        saved: unsaved ? null : textarea.defaultValue, // the text the server holds
        refused: unsaved ? textarea.defaultValue : null, // the text it last refused
        failed: unsaved, // the last save did not go through
        stopped: false, // the note changed elsewhere: no more autosaves
        id: editorId(),
        seq: 0, // the number of the last save sent
        sending: null, // the save in flight (a promise of true when saved)
        sendingText: null,
        sendingKeepalive: false,
        abort: null, // aborts the save in flight
        timer: 0,
        retries: 0,
      };
      editors.set(form, state);
    }
    return state;
  }

  function unsaved(state) {
    return state.textarea.value !== state.saved;
  }

  // Leaving now could lose text: it is unsaved and no request that outlives the page
  // carries it, or the last save failed or was refused.
  function atRisk(state) {
    if (state.stopped || state.failed) return true;
    if (!unsaved(state)) return false;
    return !(state.sendingText === state.textarea.value && state.sendingKeepalive);
  }

  function later(state, ms) {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () {
      save(state, false);
    }, ms);
  }

  function bytes(text) {
    return new Blob([text]).size;
  }

  // Save the textarea's text unless it is saved already. `final`: the page may go away
  // now (hidden, or closing), so send at once even past a save in flight (aborted: the
  // server keeps the later of the two) or after a refusal (the server keeps refused
  // text). `closing`: a request that does not outlive the page is not worth sending.
  // Resolves to true once the text is saved.
  function save(state, final, closing) {
    clearTimeout(state.timer);
    var text = state.textarea.value;
    var size = bytes(text);
    var now = final && size <= KEEPALIVE_BYTES;
    if (state.sending) {
      // A normal request carrying the text may not outlive the page: sent again.
      if (state.sendingText === text && (state.sendingKeepalive || !now)) return state.sending;
      if (!now) {
        // One save at a time: the next one needs the version this one brings back.
        return state.sending.then(function () {
          return save(state, false);
        });
      }
    } else if (text === state.saved) {
      return Promise.resolve(true);
    }
    if (text === state.refused || (state.stopped && !final)) return Promise.resolve(false);
    if (closing && !now) return Promise.resolve(false); // it could not outlive the page
    return send(state, text, now || size <= AUTOSAVE_KEEPALIVE_BYTES);
  }

  // `again`: once more, right after a send that followed an abort failed.
  function send(state, text, keepalive, again) {
    var aborted = Boolean(state.abort);
    if (aborted) state.abort(); // frees its share of the keep-alive allowance, maybe late
    var controller = new AbortController();
    var body = new FormData(state.form); // the token, the newest version and the topic
    body.set("text", text);
    body.set("autosave", "1");
    state.seq += 1;
    body.set("editor", state.id);
    body.set("seq", String(state.seq));
    // An aborted save's answer (or failure) is no news: the later save's is.
    function superseded() {
      return state.sending || !unsaved(state);
    }
    var request = fetch(state.form.action, {
      method: "POST",
      body: body,
      keepalive: keepalive,
      signal: controller.signal,
      credentials: "same-origin",
      redirect: "manual", // a log-in redirect is a failure, not a saved note
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
    }).then(
      function (response) {
        if (controller.signal.aborted) return superseded();
        return answered(state, text, response, controller.signal, superseded);
      },
      function () {
        if (controller.signal.aborted) return superseded();
        // The browser may give back the aborted save's share only a moment later.
        if (aborted && !again) return send(state, text, keepalive, true);
        return failed(state, true);
      }
    );
    state.sending = request;
    state.sendingText = text;
    state.sendingKeepalive = keepalive;
    state.abort = function () {
      controller.abort();
    };
    request.then(function () {
      if (state.sending === request) {
        state.sending = null;
        state.sendingText = null;
        state.abort = null;
      }
    });
    return request;
  }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html; // the server's own fragment
    return template.content;
  }

  // 200 brings the status line and the new version; 409 (changed elsewhere) and 422
  // (too long) the reason, shown in the status line. Any other answer carries a
  // message for the page's #server-error region, as htmx would show it.
  function answered(state, text, response, signal, superseded) {
    if (!(response.ok || response.status === 409 || response.status === 422)) {
      var again = response.status === 0 || response.status >= 500; // may pass: try again
      return response.text().then(
        function (html) {
          if (signal.aborted) return superseded();
          var region = document.getElementById("server-error");
          var fragment = parse(html);
          if (region && html) {
            region.replaceChildren(fragment.querySelector("#server-error-message") || fragment);
          }
          if (!again) state.refused = text; // the same request would be refused again
          return failed(state, again);
        },
        function () {
          if (signal.aborted) return superseded();
          return failed(state, true);
        }
      );
    }
    return response.text().then(function (html) {
      if (signal.aborted) return superseded();
      var fragment = parse(html);
      var version = fragment.querySelector("#note-version");
      if (version) version.remove();
      if (response.ok) {
        if (version) state.form.querySelector("input[name=version]").value = version.value;
        state.saved = text;
        state.refused = null;
        state.failed = false;
        state.retries = 0;
      } else {
        state.refused = text;
        state.failed = true;
        if (response.status === 409) {
          state.stopped = true;
          clearTimeout(state.timer);
        }
      }
      showStatus(state, fragment);
      return response.ok;
    }, function () {
      if (signal.aborted) return superseded();
      return failed(state, true);
    });
  }

  // Not saved: say so and keep the text. A failure that may pass (no answer, 5xx) is
  // tried again later; a refusal waits for the text to change.
  function failed(state, again) {
    state.failed = true;
    var message = document.createElement("span");
    message.className = "error";
    message.textContent = state.form.getAttribute(again ? "data-save-failed" : "data-save-refused");
    showStatus(state, message);
    if (again) {
      later(state, RETRY_MS[Math.min(state.retries, RETRY_MS.length - 1)]);
      state.retries += 1;
    }
    return false;
  }

  function showStatus(state, content) {
    if (!document.contains(state.form)) return; // closed meanwhile
    var status = state.form.querySelector("#note-status");
    if (status) status.replaceChildren(content);
  }

  var HTMX_REQUESTS = ["hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"];

  // Does following this link or sending this form unload the page?
  function leavesThePage(element) {
    var byHtmx = HTMX_REQUESTS.some(function (name) {
      return element.hasAttribute(name) || element.hasAttribute("data-" + name);
    });
    if (byHtmx) return false; // htmx swaps the answer in place
    var target = element.getAttribute("target");
    if (target && target !== "_self") return false;
    if (element.tagName === "A") {
      if (element.hasAttribute("download")) return false;
      var here = window.location;
      var samePage =
        element.origin === here.origin &&
        element.pathname === here.pathname &&
        element.search === here.search;
      if (samePage && element.hash) return false; // a jump within the page
    }
    return true;
  }

  // Run `go` once the pending text is saved, or after LINK_WAIT_MS whatever happens
  // (the browser then asks before leaving if the text is still at risk).
  function saveThen(state, go) {
    var done = false;
    function once() {
      if (!done) {
        done = true;
        go();
      }
    }
    save(state, false).then(once, once);
    setTimeout(once, LINK_WAIT_MS);
  }

  document.addEventListener("input", function (event) {
    var state = editor();
    if (!state || event.target !== state.textarea || state.stopped) return;
    later(state, Number(state.form.getAttribute("data-autosave-delay")) || 1500);
  });

  document.addEventListener("focusout", function (event) {
    var state = editor();
    if (state && event.target === state.textarea) save(state, false);
  });

  document.addEventListener("click", function (event) {
    var state = editor();
    if (!state || event.defaultPrevented || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || !leavesThePage(link) || state.stopped || !unsaved(state)) return;
    event.preventDefault();
    saveThen(state, function () {
      window.location.assign(link.href);
    });
  });

  // Capture: before htmx sees the submit.
  document.addEventListener(
    "submit",
    function (event) {
      var state = editor();
      if (!state) return;
      var form = event.target;
      var submitter = event.submitter || null;
      if (form === state.form) {
        // Save and close sends the text itself, with the version the last save brought.
        clearTimeout(state.timer);
        if (!state.sending) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        state.sending.then(function () {
          if (document.contains(form)) form.requestSubmit(submitter);
        });
        return;
      }
      if (passing.has(form)) {
        passing.delete(form); // sent again after its wait: let it go
        return;
      }
      if (!leavesThePage(form) || state.stopped || !unsaved(state)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      saveThen(state, function () {
        passing.add(form);
        form.requestSubmit(submitter);
      });
    },
    true
  );

  // htmx is about to replace a part of the page that holds the editor (a study card
  // moving on to the next question): the request waits for the text to be saved, and
  // goes only once it is. A save that failed or was refused (or a note changed
  // elsewhere) keeps the editor where it is, its status line saying why: moving on
  // would take the text away with it. The editor's own requests are its business.
  document.addEventListener("htmx:confirm", function (event) {
    var state = editor();
    var detail = event.detail || {};
    // Not before the server has said the text is saved: a save in flight may yet fail.
    if (!state || !(unsaved(state) || state.stopped || state.failed)) return;
    if (!detail.target || !detail.target.contains(state.form)) return;
    if (detail.elt && state.form.contains(detail.elt)) return;
    event.preventDefault();
    // After a conflict the text goes too (the server keeps it for the choice).
    save(state, state.stopped).then(function (saved) {
      if (saved && !atRisk(state)) {
        detail.issueRequest(true);
      } else {
        state.textarea.focus();
      }
    });
  });

  // Hidden is the last event a mobile browser may send before it freezes or ends the
  // page, so the text goes now, not behind a save in flight.
  document.addEventListener("visibilitychange", function () {
    var state = editor();
    if (state && document.visibilityState === "hidden") save(state, true);
  });

  window.addEventListener("pagehide", function () {
    var state = editor();
    if (state) save(state, true, true);
  });

  window.addEventListener("beforeunload", function (event) {
    var state = editor();
    var warn = false;
    if (state) {
      // Sent now, past a save in flight; a refused editor's text goes on pagehide.
      save(state, !state.stopped);
      warn = atRisk(state);
    } else {
      // Changes to "Your version" of a conflict are not kept anywhere until chosen.
      var mine = document.querySelector("form[data-note-conflict] textarea[name=text]");
      warn = Boolean(mine && mine.value !== mine.defaultValue);
    }
    if (warn) {
      event.preventDefault();
      event.returnValue = ""; // older browsers need it set
    }
  });
})();
