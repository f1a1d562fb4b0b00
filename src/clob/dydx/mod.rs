pub mod indexer;
