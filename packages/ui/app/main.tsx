/** The app shell: a hash router (works under any mount path), the nav, sign-in when asked. */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { onUnauthorized, request } from './api';
import { useFocusHeadingOnNavigation } from './page-focus';
import { parseRoute } from './route';
import { pageTitle } from './title';
import { known, useRunners } from './runners';
import { BuildForm } from './components/BuildForm';
import { DeployForm } from './components/DeployForm';
import { JobPage } from './components/JobPage';
import { KindUnavailable } from './components/KindUnavailable';
import { RunnerBanner } from './components/RunnerBanner';
import { QueuePage } from './components/QueuePage';
import { StatusPanel } from './components/StatusPanel';
import { Loading } from './components/bits';
import { TokenPrompt } from './components/TokenPrompt';
import './styles.css';

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash || '#/');
  useEffect(() => {
    const onChange = () => setHash(window.location.hash || '#/');
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const [needsToken, setNeedsToken] = useState(false);
  const [session, setSession] = useState<{ user: { sub: string; name?: string } | null; canWrite: boolean } | null>(null);
  const [generation, setGeneration] = useState(0);
  const navigate = (target: string) => {
    window.location.hash = target;
  };

  useEffect(() => onUnauthorized(() => setNeedsToken(true)), []);
  useEffect(() => {
    request<{ user: { sub: string; name?: string } | null; canWrite: boolean }>('session').then(setSession, () => undefined);
  }, [generation]);

  const canWrite = session?.canWrite ?? true;
  const route = parseRoute(hash);
  useFocusHeadingOnNavigation(route.key);
  // null for a kind: this server has no runner for it, so its link and form are not offered.
  const runnersState = useRunners(`${route.key} ${generation}`);
  const runners = known(runnersState);
  const loading = runnersState === 'loading';
  let page;
  let title: string | null = null;
  if (route.page === 'job') page = <JobPage id={route.jobId} line={route.line} canWrite={canWrite} navigate={navigate} />;
  else if ((route.page === 'build' || route.page === 'deploy') && canWrite && loading) [page, title] = [<Loading what="what this server runs" />, null];
  else if (route.page === 'build' && canWrite)
    [page, title] = [runners?.build === null ? <KindUnavailable kind="build" /> : <BuildForm navigate={navigate} runner={runners?.build ?? undefined} />, 'New build'];
  else if (route.page === 'deploy' && canWrite) [page, title] = [runners?.deploy === null ? <KindUnavailable kind="deploy" /> : <DeployForm navigate={navigate} />, 'New deploy'];
  else if (route.page === 'status') [page, title] = [<StatusPanel runners={runnersState} />, 'Status'];
  else [page, title] = [<QueuePage hash={hash} navigate={navigate} canWrite={canWrite} />, 'Queue'];
  // A job's page names its tab itself, with the job's state.
  useEffect(() => {
    if (title) document.title = pageTitle(title);
  }, [title]);

  const link = (target: string, label: string) => (
    <a href={target} aria-current={route.key === target ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header className="top">
        <span className="brand">Docker Builder</span>
        <nav aria-label="Main">
          {link('#/', 'Queue')}
          {canWrite && !loading && runners?.build !== null && link('#/new/build', 'New build')}
          {canWrite && !loading && runners?.deploy !== null && link('#/new/deploy', 'New deploy')}
          {link('#/status', 'Status')}
        </nav>
        {session?.user && (
          <span className="who">
            {session.user.name ?? session.user.sub}
            {!canWrite && <span className="badge">read-only</span>}
          </span>
        )}
      </header>
      <RunnerBanner runners={runnersState} />
      <main key={generation}>{page}</main>
      {needsToken && (
        <TokenPrompt
          onSaved={() => {
            setNeedsToken(false);
            setGeneration((g) => g + 1);
          }}
        />
      )}
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
