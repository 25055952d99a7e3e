"""Build steps for integral on buildbot: check out the pushed commit, run `integral build`,
put the bundle's headline values into the build's properties, and upload the outputs to the
master. Used by master.cfg; a master of your own can import it the same way.

The build's result is `integral build`'s exit code. A failed build uploads nothing, so no
bundle is ever published for a commit whose build failed.
"""
from buildbot.plugins import steps, util


def headline_values(rc, stdout, stderr):
    """The bundle's headline values as build properties, from the "NAME VALUE" lines that
    _SUMMARY prints: the bundle's sha256, and per boot its predicted sha256 PCR values and
    PolicyPCR digest (e.g. boot_host_pcr9_sha256)."""
    if rc != 0:
        return {}
    props = {}
    for line in stdout.splitlines():
        name, _, value = line.strip().partition(" ")
        if name and value:
            props[name] = value
    return props


# Prints what headline_values reads, run on the worker with its python3: short lines, since
# buildbot cuts a command's output into lines of at most 4 KiB.
_SUMMARY = (
    "import hashlib, json, sys\n"
    "raw = open(sys.argv[1], 'rb').read()\n"
    "print('bundle_sha256', hashlib.sha256(raw).hexdigest())\n"
    "for boot, entry in json.loads(raw)['boots'].items():\n"
    "    for pcr, value in entry['pcrs'].get('sha256', {}).items():\n"
    "        print('boot_%s_pcr%s_sha256' % (boot, pcr), value)\n"
    "    if 'policy' in entry:\n"
    "        print('boot_%s_policy' % boot, entry['policy']['digest'])\n"
)


def integral_build_factory(repourl, description="build.toml", integral="integral",
                           upload_dir="bundles"):
    """A BuildFactory that builds `description` (a path in the repository) with the
    `integral` binary on the worker and uploads OUT to the master's
    `upload_dir`/<revision>/."""
    out = "integral-out"
    f = util.BuildFactory()
    # Every build starts from the pushed commit exactly (no leftovers of an earlier build).
    f.addStep(steps.Git(repourl=repourl, mode="full", method="clobber", haltOnFailure=True))
    f.addStep(steps.ShellCommand(
        name="integral build",
        command=[integral, "build", description, "-o", out],
        # The image cache lives beside the checkout, so it survives the clobber.
        env={"INTEGRAL_CACHE_DIR": util.Interpolate("%(prop:builddir)s/integral-cache")},
        haltOnFailure=True))
    f.addStep(steps.SetPropertyFromCommand(
        name="reference values",
        command=["python3", "-c", _SUMMARY, out + "/reference-values.json"],
        extract_fn=headline_values, haltOnFailure=True))
    f.addStep(steps.DirectoryUpload(
        name="upload bundle",
        workersrc=out,
        masterdest=util.Interpolate(upload_dir + "/%(prop:got_revision)s"),
        haltOnFailure=True))
    return f
