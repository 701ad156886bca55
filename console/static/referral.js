/* The referral form: the language for messages follows the group chosen, as long as it is the
   language the form offered (one chosen by hand stays). Without this script the server does
   the same when the form is sent (console.forms.referral_data). */
(function () {
  "use strict";
  var group = document.getElementById("group_id");
  var language = document.getElementById("language");
  var offered = document.getElementById("language_offered");
  if (!group || !language || !offered) { return; }

  group.addEventListener("change", function () {
    var chosen = group.options[group.selectedIndex];
    var groupLanguage = chosen ? chosen.getAttribute("data-language") : null;
    if (!groupLanguage || language.value !== offered.value) { return; }
    language.value = groupLanguage;
    offered.value = groupLanguage;
  });
}());
