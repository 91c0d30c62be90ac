//! coArchi repositories: one concept file (an element, a relationship or a diagram) taken
//! from the input, in a repository with the example's model file, is read or refused, never a
//! panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    thread_local! {
        static REPO: std::path::PathBuf = {
            let dir = std::env::temp_dir().join(format!("fuzz-coarchi-{}", std::process::id()));
            std::fs::create_dir_all(dir.join("model/business")).unwrap();
            std::fs::write(
                dir.join("model/folder.xml"),
                "<archimate:ArchimateModel xmlns:archimate=\"http://www.archimatetool.com/archimate\" name=\"fuzz\" id=\"id-m\" version=\"5.0.0\"/>",
            )
            .unwrap();
            dir
        };
    }
    REPO.with(|dir| {
        let _ = std::fs::write(dir.join("model/business/Concept_id-x.xml"), data);
        let _ = plumb_model::coarchi::read(dir, true);
    });
});
