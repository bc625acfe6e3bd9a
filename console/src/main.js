import { api, settings, savedCredentials, saveCredentials, needsSignIn } from "./api.js";
import { h, field, errorBox, busy, replace } from "./dom.js";
import { route, onRender, start, render } from "./router.js";
import { applicationsPage, applicationPage } from "./pages/applications.js";
import { profilePage, versionPage } from "./pages/profile.js";
import { environmentPage, deploymentPage } from "./pages/deployments.js";
import { extensionsPage, extensionPage } from "./pages/extensions.js";
import { experimentsPage, definitionPage } from "./pages/experiments.js";
import { runPage } from "./pages/runs.js";

route("", applicationsPage);
route("applications/:app", applicationPage);
route("applications/:app/configurationprofiles/:profile", profilePage);
route("applications/:app/configurationprofiles/:profile/versions/:n", versionPage);
route("applications/:app/environments/:env", environmentPage);
route("applications/:app/environments/:env/deployments/:n", deploymentPage);
route("experiments", experimentsPage);
route("applications/:app/experiments/:def", definitionPage);
route("applications/:app/experiments/:def/runs/:run", runPage);
route("extensions", extensionsPage);
route("extensions/:id", extensionPage);

const main = document.getElementById("main");
const who = document.getElementById("who");

function drawWho() {
  if (settings.auth !== "sigv4") {
    replace(who, h("span", {}, "Account ", h("strong", { "data-testid": "account" }, settings.account), ` · ${settings.region} · open auth`));
    return;
  }
  const c = savedCredentials();
  if (!c) return replace(who, h("span", {}, "Not signed in"));
  replace(who, h("span", {}, "Signed in as ", h("strong", {}, c.accessKeyId), ` · ${c.region} `),
    h("button", { type: "button", class: "small", on: { click() {
      saveCredentials(null);
      drawWho();
      render();
    } } }, "Sign out"));
}

function signInForm() {
  const akid = h("input", { name: "accessKeyId", required: true, autocomplete: "username", spellcheck: "false" });
  const secret = h("input", { name: "secretAccessKey", type: "password", required: true, autocomplete: "current-password" });
  const region = h("input", { name: "region", required: true, value: settings.region, spellcheck: "false" });
  const msg = h("div", {});
  const form = h("form", { class: "card signin", "aria-labelledby": "signin-h", on: {
    async submit(e) {
      e.preventDefault();
      msg.replaceChildren();
      const creds = { accessKeyId: akid.value.trim(), secretAccessKey: secret.value, region: region.value.trim() };
      try {
        // A signed call proves the key: the server checks the signature.
        await busy(form, () => api.listApplicationsWith(creds));
      } catch (err) {
        msg.replaceChildren(errorBox(err));
        secret.focus();
        return;
      }
      saveCredentials(creds);
      drawWho();
      render();
    },
  } },
  h("h1", { id: "signin-h", tabindex: "-1" }, "Sign in"),
  h("p", { class: "hint" }, "This server verifies AWS Signature Version 4. Your key stays in this browser tab and signs each request here."),
  field("Access key ID", akid), field("Secret access key", secret), field("Region", region), msg,
  h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")));
  return form;
}

function notFound() {
  document.title = "Not found · appconfigd";
  return [h("h1", { tabindex: "-1" }, "Page not found"), h("p", {}, h("a", { href: "/console/" }, "Back to applications"))];
}

let firstRender = true;
// Each page is drawn off-screen and swapped in once its data is there, so
// the previous page stays until then (no blank flash, and no request of
// the page being left is cut off by the swap).
onRender(async (m, ctx) => {
  const el = h("div", { class: "page" });
  main.setAttribute("aria-busy", "true");
  drawWho();
  try {
    if (needsSignIn()) {
      document.title = "Sign in · appconfigd";
      el.append(signInForm());
    } else if (!m) {
      el.append(...notFound());
    } else {
      await m.page(el, ctx, m.params);
    }
  } catch (err) {
    if (ctx.live()) {
      el.replaceChildren(h("h1", { tabindex: "-1" }, "Something went wrong"), errorBox(err));
      if (err.status === 403 && settings.auth === "sigv4") {
        el.append(h("p", {}, h("button", { type: "button", on: { click() {
          saveCredentials(null);
          render();
        } } }, "Sign in again")));
      }
    }
  } finally {
    if (ctx.live()) {
      main.replaceChildren(el);
      main.removeAttribute("aria-busy");
      // Move focus to the new page's heading, so keyboard and screen
      // reader users land on it after following a link.
      if (!firstRender) el.querySelector("h1")?.focus({ preventScroll: true });
      if (ctx.kind === "push") window.scrollTo(0, 0);
      firstRender = false;
    }
  }
});

start();
