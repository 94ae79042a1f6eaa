// The advance public notice of an LFR deployment: what a force publishes before it uses
// LFR somewhere — where, when, why, under what legal basis, who authorised it, what happens
// to the faces the cameras see and to alert data, and how to ask questions.
//
// The text is built from the deployment's public details (DeploymentSpec: location, site,
// planned times, purpose, legal basis, authorising officer, contact) and its cameras'
// names and positions; never from camera URIs, the watchlist or anything personal. It says
// that faces not matching the watchlist are deleted immediately and automatically, that
// alert data is deleted automatically within 24 hours (store/retention.h's default), and,
// when any camera records footage, that footage is kept for at most 31 days.
// Times are UK civil time (GMT/BST, named). A field left empty appears as "[not set]";
// NoticeProblems lists what to fix before publishing.
//
// Output is deterministic (no clock). Thread-safe (pure functions).
#ifndef LFR_REPORT_NOTICE_H_
#define LFR_REPORT_NOTICE_H_

#include <string>
#include <vector>

#include "store/store.h"

namespace lfr::report {

// Plain UTF-8 text, lines wrapped at 78 characters, LF line ends, ending in a newline:
// the text to store with Store::PublishNotice.
std::string RenderNoticeText(const Deployment& deployment, const std::vector<Camera>& cameras);

// The same notice as a complete, self-contained, printable HTML5 page (inline CSS, every
// value escaped, no scripts or external resources).
std::string RenderNoticeHtml(const Deployment& deployment, const std::vector<Camera>& cameras);

// The public page of a published notice: revision `shown` of `revisions` (as returned by
// Store::ListNoticeRevisions, oldest first) exactly as it was published — its stored text,
// escaped, line breaks kept — with its revision number and publication time, a pointer to
// the current revision when an earlier one is shown, and the list of every revision with
// its publication time (links "?revision=N"). Never rebuilt from the deployment's current
// record, so editing a deployment cannot change what was published. `shown` must be one of
// the revisions' numbers (the last one if it is not). revisions must not be empty.
// A complete HTML5 page (inline CSS, no scripts or external resources).
std::string RenderPublishedNoticeHtml(const std::string& deployment_name,
                                      const std::vector<NoticeRevision>& revisions, int shown);

// What a notice for this deployment would be missing, one sentence each ("no contact for
// questions"); empty when it is complete. Checks location, site, purpose, legal basis,
// authorising officer, contact, planned times (set, end after start) and at least one camera.
std::vector<std::string> NoticeProblems(const Deployment& deployment, const std::vector<Camera>& cameras);

}  // namespace lfr::report

#endif  // LFR_REPORT_NOTICE_H_
