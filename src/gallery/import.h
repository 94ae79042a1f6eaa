// Importing reference images into a gallery (retrospective search, store/gallery_store.h):
// the list of images (a folder or a CSV), and an importer that checks each image with the
// same face rules as every watchlist enrolment (match/watchlist.h PickEnrolmentFace:
// exactly one usable face that passes the quality gate), warns of possible duplicates (the
// same face already in the gallery or earlier in this import under another reference), and
// stages each record in the store. Nothing is live until Commit: an import that stops on an
// error, or whose process is killed, leaves the gallery as it was (the store deletes the
// staged records on Abort, on destruction without Commit, or at the next import).
//
// CSV: UTF-8, RFC 4180 quoting, a header row naming the columns in any order: image and
// reference are required; capture_date (YYYY-MM-DD) and source are optional. Image paths are
// relative to the CSV's folder unless absolute. Every field is checked like the store's
// (bounded, valid UTF-8, no control characters); the first bad field refuses the file,
// naming its line and column, before any image is read.
// Folder: every image file directly in it is one record whose reference is the file stem
// ("CF-2024-00017.jpg" -> "CF-2024-00017"); capture date and source are given for all.
//
// Ownership: store and analyzer must outlive the importer. Thread-safety: not thread-safe
// (the analyzer is not); one importer per thread. Privacy: decoded images, aligned faces and
// embeddings are wiped from memory once staged; the gallery's embeddings, opened for the
// duplicate check, live in locked memory wiped on destruction.
#ifndef LFR_GALLERY_IMPORT_H_
#define LFR_GALLERY_IMPORT_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "match/watchlist.h"
#include "models/store.h"
#include "store/gallery_store.h"
#include "vision/analyzer.h"

namespace lfr {

struct GalleryImportItem {
  std::filesystem::path image;  // a file; for an upload, its file name (bytes below)
  GalleryRecord meta;  // reference, capture_date, source
  int line = 0;        // CSV line (1-based), 0 for a folder
  std::string bytes;   // an uploaded image's contents (decoded in memory); "" = read `image`
};

// Reads and parses a gallery CSV (NotFound for a missing file; InvalidArgument naming the
// line for a bad header, row or field, or a file above kMaxCsvBytes).
Result<std::vector<GalleryImportItem>> ReadGalleryCsv(const std::filesystem::path& csv);
Result<std::vector<GalleryImportItem>> ParseGalleryCsv(const std::string& text,
                                                       const std::filesystem::path& base_dir);
// The image files directly in dir, sorted; defaults gives capture_date and source.
// NotFound if absent; InvalidArgument if not a folder or it holds no image.
Result<std::vector<GalleryImportItem>> ListGalleryFolder(const std::filesystem::path& dir,
                                                         const GalleryRecord& defaults);

struct GalleryItemOutcome {
  std::optional<GalleryRecord> record;  // staged, when accepted
  std::string rejection;                // why not ("no face found", "3 faces found ...",
                                        // "face fails the quality gate: ...", a bad field)
  std::vector<std::string> warnings;    // e.g. "possible duplicate of record 12 (CF-1): ..."
};

class GalleryImporter {
 public:
  // Opens the gallery's embeddings (for the duplicate check) and begins a staged import.
  // FailedPrecondition for a deleted gallery; InvalidArgument if the analyzer's recogniser
  // is not the gallery's.
  static Result<std::unique_ptr<GalleryImporter>> Begin(GalleryStore* store, const Gallery& gallery,
                                                        FaceAnalyzer* analyzer, const std::string& recogniser_id,
                                                        float duplicate_threshold, const Actor& by,
                                                        const EnrolOptions& options = {});
  // Aborts the import unless it was committed.
  ~GalleryImporter();

  // Checks and stages one image. Problems with this image or its fields come back as a
  // rejection; errors that stop the import (disk, model, the import abandoned) as a Status.
  Result<GalleryItemOutcome> Add(const std::filesystem::path& image, const GalleryRecord& meta);
  Result<GalleryItemOutcome> AddImage(const cv::Mat& image, const GalleryRecord& meta);

  // Makes every staged record live (one transaction); extra_json is added to the audit row.
  Result<int64_t> Commit(const std::string& extra_json);
  // Deletes the staged records (idempotent).
  Status Abort();

  int64_t import_id() const { return import_id_; }

 private:
  GalleryImporter(GalleryStore* store, Gallery gallery, FaceAnalyzer* analyzer, float threshold, Actor by,
                  EnrolOptions options)
      : store_(store), gallery_(std::move(gallery)), analyzer_(analyzer), duplicate_threshold_(threshold),
        by_(std::move(by)), options_(options) {}

  GalleryStore* store_;
  Gallery gallery_;
  FaceAnalyzer* analyzer_;
  float duplicate_threshold_;
  Actor by_;
  EnrolOptions options_;
  int64_t import_id_ = 0;
  bool finished_ = false;
  std::vector<GalleryEmbedding> known_;  // live and staged records, for the duplicate check
  std::vector<AnalyzedFace> faces_;
};

// The analyzer for a gallery's recogniser (NotFound naming it when the model is not
// installed) and that recogniser card's verification threshold (the duplicate check's).
struct GalleryAnalyzer {
  std::unique_ptr<FaceAnalyzer> analyzer;
  float verify_threshold = 0;
};
Result<GalleryAnalyzer> OpenGalleryAnalyzer(const ModelStore& models, const Gallery& gallery);

// What one whole import did (`lfr gallery import` and POST /api/galleries/{id}/import).
struct GalleryImportSummary {
  int64_t images = 0;                   // items given
  int64_t imported = 0;                 // records made live
  int64_t possible_duplicates = 0;
  std::vector<std::string> rejections;  // "<file> (line N) <reference>: <reason>"
  std::vector<std::string> warnings;    // "<file> <reference>: possible duplicate ..."
};

// Imports every item into the gallery in one staged import: each is checked and staged
// (a rejection is noted, not an error); then all go live together, audited
// "gallery.import" with source ("folder", "csv", "upload"), counts and rejections. Nothing
// goes live when an item hits an error that stops the import (the Status names the item
// and says nothing was imported) or when no item could be imported (InvalidArgument).
// on_item is called after each item (a progress bar); may be null.
Result<GalleryImportSummary> ImportGalleryItems(GalleryStore* store, const Gallery& gallery, FaceAnalyzer* analyzer,
                                                float duplicate_threshold, const std::vector<GalleryImportItem>& items,
                                                const std::string& source, const Actor& by,
                                                const std::function<void()>& on_item = nullptr);

}  // namespace lfr

#endif  // LFR_GALLERY_IMPORT_H_
