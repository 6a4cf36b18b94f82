// Passkeys (issue 17): "Use a passkey" on the sign-in page, "Add a passkey" on the account
// page, and "Use a passkey" on an adviser's invitation (issue 25), which makes the account.
// Each asks the broker for a single-use challenge, lets the browser make or use the
// passkey, and posts the result back as JSON with the page's CSRF token. Without JavaScript
// (or WebAuthn) the panels stay hidden and the password form works as before. No inline
// script: the CSP allows 'self' only.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !window.fetch || !navigator.credentials) {
    return;
  }

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken(panel) {
    var field = panel.querySelector("input[name=csrf_token]") ||
      document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function post(panel, url, body) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken(panel)
      },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.error || panel.getAttribute("data-failed"));
        }
        return answer;
      });
    });
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (credential.authenticatorAttachment) {
      json.authenticatorAttachment = credential.authenticatorAttachment;
    }
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return json;
  }

  function showError(panel, message) {
    var box = panel.querySelector("[data-passkey-error]");
    box.textContent = message || panel.getAttribute("data-failed");
    box.hidden = false;
  }

  function signIn(panel) {
    post(panel, panel.getAttribute("data-options-url")).then(function (options) {
      options.challenge = toBytes(options.challenge);
      (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({ publicKey: options });
    }).then(function (credential) {
      return post(panel, panel.getAttribute("data-verify-url"), {
        credential: credentialJSON(credential),
        next: panel.getAttribute("data-next") || ""
      });
    }).then(function (answer) {
      window.location.assign(answer.next);
    }).catch(function (error) {
      showError(panel, error && error.name === "NotAllowedError" ? null : error.message);
    });
  }

  function register(panel) {
    // The passkey's name on the account page; on an invitation, the invitee's own name field.
    var named = panel.getAttribute("data-name-field");
    var nameField = named ? document.getElementById(named) :
      panel.querySelector("input[name=passkey_name]");
    var name = nameField.value.trim();
    if (!name) {
      showError(panel, panel.getAttribute("data-name-missing"));
      nameField.focus();
      return;
    }
    post(panel, panel.getAttribute("data-options-url"), { name: name }).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.create({ publicKey: options });
    }).then(function (credential) {
      return post(panel, panel.getAttribute("data-verify-url"), {
        credential: credentialJSON(credential),
        name: name
      });
    }).then(function (answer) {
      window.location.assign(answer.next);
    }).catch(function (error) {
      showError(panel, error && error.name === "NotAllowedError" ? null : error.message);
    });
  }

  document.querySelectorAll("[data-passkey-needs-script]").forEach(function (note) {
    note.hidden = true;
  });

  document.querySelectorAll("[data-passkey]").forEach(function (panel) {
    var kind = panel.getAttribute("data-passkey");
    panel.hidden = false;
    panel.querySelector("[data-passkey-start]").addEventListener("click", function (event) {
      event.preventDefault();
      panel.querySelector("[data-passkey-error]").hidden = true;
      if (kind === "sign-in") {
        signIn(panel);
      } else {
        register(panel);
      }
    });
  });
})();
