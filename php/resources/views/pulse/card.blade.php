<x-pulse::card :cols="$cols" :rows="$rows" :class="$class">
    <x-pulse::card-header
        name="Sidecast"
        title="Time: {{ number_format($time) }}ms; Run at: {{ $runAt }};"
        details="past {{ $this->periodForHumans() }}"
    />

    <x-pulse::scroll :expand="$expand" wire:poll.5s="">
        @if (empty($servers))
            <x-pulse::no-results />
        @else
            <x-pulse::table>
                <x-pulse::thead>
                    <tr>
                        <x-pulse::th>Server</x-pulse::th>
                        <x-pulse::th class="text-right">Peak connections</x-pulse::th>
                        <x-pulse::th class="text-right">Events in</x-pulse::th>
                        <x-pulse::th class="text-right">Deliveries</x-pulse::th>
                        <x-pulse::th class="text-right">Dropped</x-pulse::th>
                    </tr>
                </x-pulse::thead>
                <tbody>
                    @foreach ($servers as $server => $figures)
                        <tr wire:key="sidecast-{{ $server }}">
                            <x-pulse::td>{{ $server }}</x-pulse::td>
                            <x-pulse::td numeric>{{ number_format($figures['connections']) }}</x-pulse::td>
                            <x-pulse::td numeric>{{ number_format($figures['events']) }}</x-pulse::td>
                            <x-pulse::td numeric>{{ number_format($figures['deliveries']) }}</x-pulse::td>
                            <x-pulse::td numeric @class(['text-red-600' => $figures['dropped'] > 0])>{{ number_format($figures['dropped']) }}</x-pulse::td>
                        </tr>
                    @endforeach
                </tbody>
            </x-pulse::table>
        @endif
    </x-pulse::scroll>
</x-pulse::card>
